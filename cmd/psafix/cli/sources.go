package cli

import (
	"errors"
	"fmt"

	"k8s.io/pod-security-admission/api"
	"os"
	"path/filepath"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/sources/chart"
	"github.com/psafix/psafix/sources/overlay"
)

// chartOptions are the rendering options of a chart: the flags', and the values files its
// .psafix.yaml lists for it unless -f gives some.
func (r *run) chartOptions(in input) chart.Options {
	ns := "" // the first --namespace
	if len(r.flags.namespaces) > 0 {
		ns = r.flags.namespaces[0]
	}
	values := r.flags.values
	if len(values) == 0 {
		values, _ = in.config.ChartValues(in.path)
	}
	return chart.Options{Release: r.flags.release, Namespace: ns, ValuesFiles: values}
}

// workChart renders a chart and checks it, or fixes it at the source: its outcome holds one
// sub-outcome per rendered template and per values file changed.
func (r *run) workChart(engine *fixers.Engine, in input) *outcome {
	var res *chart.Result
	if r.check || !(r.flags.write || r.flags.diff || r.flags.list) {
		res = chart.Check(in.path, r.chartOptions(in), engine)
	} else {
		res = chart.Fix(in.path, r.chartOptions(in), engine)
	}
	o := &outcome{chart: res}
	for _, fr := range res.Rendered {
		if r.flags.write || r.flags.diff || r.flags.list {
			// A rendering is never written: what changes is the values files below.
			fr.New = nil
		}
		o.sub = append(o.sub, &outcome{Result: fr, rendered: true})
	}
	for _, fr := range res.Values {
		s := &outcome{Result: fr, snap: kio.Snapshot{Data: fr.Old}}
		if snap, err := kio.ReadFile(fr.Path, r.flags.maxSize); err == nil {
			s.snap = snap
		}
		if r.flags.diff && fr.Changed() {
			s.diff = diffview.Unified(diffPath(fr.Path), diffPath(fr.Path), fr.Old, fr.New, 3)
		}
		o.sub = append(o.sub, s)
	}
	return o
}

// emitChart prints a chart's notes, or why it could not be rendered, then its outcomes.
func (r *run) emitChart(o *outcome) {
	res := o.chart
	for _, n := range res.Notes {
		r.report("notice", n)
	}
	if res.Err != nil {
		r.fail(res.Dir, 0, 0, res.Dir+": "+res.Err.Error())
	}
	for _, s := range o.sub {
		r.emit(s)
	}
}

// markPatches finds the files kustomizations use as patches (the kustomizations of the
// inputs' folders and those above them) and leaves them alone with a note: a patch is not
// a whole workload, and filling it with pod-level defaults would override its base's
// choices once the overlay is built.
func markPatches(inputs []input) {
	f := overlay.NewPatchFinder()
	for _, in := range inputs {
		if in.overlay {
			f.Built(in.path)
		}
		if in.err == nil && !in.stdin && !in.chart && in.note == "" {
			f.Look(filepath.Dir(in.path))
		}
	}
	for i, in := range inputs {
		if in.err != nil || in.stdin || in.chart || in.note != "" {
			continue
		}
		if k := f.PatchOf(in.path); k != "" {
			inputs[i].note = f.Note(k, func(p string) string { return userPath(in.path, p) })
		}
	}
}

// userPath names p as the user named like: relative to the current folder when like is
// relative.
func userPath(like, p string) string {
	if filepath.IsAbs(like) {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil {
			return rel
		}
	}
	return p
}

// checkValuesFlag refuses -f/--values unless the paths hold exactly one chart: values files
// belong to one chart, and a fix is written into them.
func (r *run) checkValuesFlag(inputs []input) error {
	if len(r.flags.values) == 0 {
		return nil
	}
	charts := 0
	for _, in := range inputs {
		if in.chart {
			charts++
		}
	}
	if charts != 1 {
		return usageError{fmt.Errorf("-f/--values needs exactly one Helm chart among the paths (found %d): run psafix once per chart", charts)}
	}
	return nil
}

// workOverlay builds a kustomization given to check or report in-process and checks every built
// workload, each named with the file it came from (kustomize's origin annotation). An
// overlay that cannot be built offline (a remote base) is a note: its files are checked one
// by one all the same.
func (r *run) workOverlay(engine *fixers.Engine, in input) *outcome {
	fr, notes, err := overlay.Check(in.path, engine, func(p string) string { return userPath(in.path, p) })
	if err != nil {
		kf := overlay.File(in.path)
		fr = &fixers.Result{Path: kf, Err: &fixers.FileError{Path: kf, Skip: true, Msg: "not built: " + err.Error()}}
	} else if r.survey {
		// psafix report's "after" for a base outside the paths is what a patch reaches.
		overlay.Fix(in.path, overlay.FixOptions{Inside: func(p string) bool { return overlay.Within(p, r.args) },
			Name: func(p string) string { return userPath(in.path, p) }}, engine).AfterFix(fr)
	}
	return &outcome{Result: fr, rendered: true, notes: notes}
}

// fixOverlays fixes, after --write, --diff or --list, each overlay among the paths (given,
// or met in a walk: overlay.Targets) whose built workloads come from a base outside the
// paths: a strategic-merge patch added to the overlay and listed in its kustomization
// (overlay.Fix), the new file written with
// O_EXCL semantics and shown as a git new-file diff. The default mode (manifests on standard
// output) only tells which built workloads a patch would fix.
func (r *run) fixOverlays(engine *fixers.Engine, args []string) {
	if r.check || r.survey {
		return
	}
	pending := map[string][]byte{}
	for _, t := range overlay.Targets(args, r.overlays) {
		a := t.Dir
		if _, ok := chart.Root(a); ok {
			continue
		}
		res := overlay.Fix(a, overlay.FixOptions{
			Inside:  func(p string) bool { return overlay.Within(p, args) },
			Name:    func(p string) string { return userPath(a, p) },
			Pending: pending,
		}, engine)
		for _, f := range res.Files {
			if abs, err := filepath.Abs(f.Path); err == nil {
				pending[abs] = f.New
			}
		}
		if errors.Is(res.Err, overlay.ErrRemote) || res.Built == nil {
			if res.Err != nil && t.Given { // one a walk met may be a part others use
				r.report("notice", fixers.Report{Path: res.Kustomization, Line: 1, Object: "kustomization", Note: true, Message: "not built: " + res.Err.Error()})
			}
			continue
		}
		if !r.flags.write && !r.flags.diff && !r.flags.list {
			for _, p := range res.Built.Pods {
				if p.Fixed {
					r.report("notice", fixers.Report{Path: res.Kustomization, Line: 1, Object: p.Object, Note: true,
						Message: fmt.Sprintf("fails %s once built, and its base lies outside the paths given: psafix --write %s adds a patch to the overlay for it (or give the base's folder too)", p.Target.Level, a)})
				}
			}
			continue
		}
		r.tell(res.Notes)
		if res.Err != nil {
			r.fail(res.Kustomization, 1, 0, res.Kustomization+": "+res.Err.Error())
		}
		var failed error
		for _, f := range res.Files {
			o := &outcome{Result: f}
			created := res.Created[f.Path]
			if r.flags.diff && created {
				o.diff = diffview.NewFile(diffPath(f.Path), f.New, res.Mode&0o111 != 0)
			}
			if r.flags.write {
				switch {
				case failed != nil:
					o.writeErr = fmt.Errorf("the patch was not written (%v)", errMsg(failed))
				case created:
					o.writeErr = kio.CreateFile(f.Path, f.New, res.Mode)
				default:
					o.writeNotes, o.writeErr = r.write(f.Path, kio.Snapshot{Data: f.Old}, f.New)
				}
				failed = o.writeErr
			}
			r.emit(o)
			if !created {
				r.tally.Files-- // counted already, as a file of the paths
			}
		}
		written := failed == nil
		if !written {
			res.Built.Remaining = nil
		}
		r.emitReports(res.Built, written)
	}
}

// surveyChart renders a chart for psafix report: one result per rendered template.
func (r *run) surveyChart(engine *fixers.Engine, in input) []*fixers.Result {
	res := chart.Check(in.path, r.chartOptions(in), engine)
	if res.Err != nil {
		return []*fixers.Result{{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: res.Err.Error()}}}
	}
	// "After psafix --write" is what a fix at the source reaches (computed in memory,
	// nothing written), not what an edit of the rendering would.
	fx := chart.Fix(in.path, r.chartOptions(in), engine)
	after := map[string]fixers.PodSummary{}
	if fx.Err == nil {
		for _, fr := range fx.Rendered {
			for _, p := range fr.Pods {
				after[fr.Path+"\x00"+p.Object] = p
			}
		}
	}
	for _, fr := range res.Rendered {
		for i, p := range fr.Pods {
			p.After, p.Fixed = p.Before, false
			if q, ok := after[fr.Path+"\x00"+p.Object]; ok {
				p.After = q.Before
				p.Fixed = !sameLevels(p.Before, q.Before)
			}
			fr.Pods[i] = p
		}
	}
	return res.Rendered
}

func sameLevels(a, b map[api.Level]bool) bool {
	for _, l := range []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted} {
		if a[l] != b[l] {
			return false
		}
	}
	return true
}
