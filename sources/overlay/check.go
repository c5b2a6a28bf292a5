package overlay

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/psafix/psafix/fixers"
)

// Check builds the overlay in dir (as BuildNotes does) and checks every built workload,
// each named with the file it came from ("Deployment/web (built, from base/x.yaml)", the
// file as name gives it) and located at line 1 of the kustomization: the build has no lines
// of its own. The notes are kustomize's about the kustomization files it read; err is why
// the overlay could not be built. The result's New is nil: a build is never written.
func Check(dir string, e *fixers.Engine, name func(abs string) string) (res *fixers.Result, notes []fixers.Report, err error) {
	kf := File(dir)
	built, ns, err := BuildNotes(dir)
	for _, n := range ns {
		notes = append(notes, fixers.Report{Path: name(n.Path), Line: 1, Object: "kustomization", Note: true, Message: n.Msg})
	}
	if err != nil {
		return nil, notes, err
	}
	fr := e.FixFile(kf, built)
	origins := Origins(kf, built)
	named := func(object string) string {
		if o := origins[object]; o != "" {
			return object + builtFrom + name(o) + ")"
		}
		return object + " (built)"
	}
	for _, rs := range [][]fixers.Report{fr.Before, fr.Remaining, fr.Notes} {
		for i := range rs {
			rs[i].Line, rs[i].Column, rs[i].Object = 1, 0, named(rs[i].Object)
		}
	}
	for _, e := range fr.Errors {
		e.Line, e.Column = 1, 0 // a line of the built output means nothing in the kustomization
	}
	for i := range fr.Pods {
		// psafix report lists the built workload, named as check names it.
		fr.Pods[i].Line, fr.Pods[i].Object = 1, named(fr.Pods[i].Object)
	}
	fr.New, fr.Edits = nil, nil
	return fr, notes, nil
}

// Within reports whether path p lies in one of the paths (all made absolute).
func Within(p string, paths []string) bool {
	ap, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	for _, q := range paths {
		aq, err := filepath.Abs(q)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(aq, ap); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// Target is an overlay that psafix --write may fix with a patch (Fix): a folder given as a
// PATH (Given), or one a walk met.
type Target struct {
	Dir   string
	Given bool
}

// Targets returns the overlays to fix: the folders of args that hold a kustomization and
// those of found (the folders of the kustomization files a walk met), each once, no
// Component, and each after the others it uses as a resource: an overlay used by another is
// fixed first, and the one that uses it is then built with its patch (FixOptions.Pending),
// so that a workload gets one patch, in the overlay nearest its base.
func Targets(args, found []string) []Target {
	type cand struct {
		t    Target
		uses []string
	}
	byAbs := map[string]*cand{}
	var order []string
	add := func(d string, given bool) {
		abs, err := filepath.Abs(d)
		if err != nil || byAbs[abs] != nil {
			return
		}
		kf := File(d)
		if kf == "" {
			return
		}
		k, err := Read(kf)
		if err != nil || k.Component {
			return
		}
		byAbs[abs] = &cand{t: Target{Dir: d, Given: given}, uses: k.Resources}
		order = append(order, abs)
	}
	for _, a := range args {
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			add(a, true)
		}
	}
	for _, d := range found {
		add(d, false)
	}
	var out []Target
	done := map[string]bool{}
	var visit func(abs string)
	visit = func(abs string) {
		c := byAbs[abs]
		if c == nil || done[abs] {
			return
		}
		done[abs] = true
		for _, u := range c.uses {
			visit(u)
		}
		out = append(out, c.t)
	}
	for _, abs := range order {
		visit(abs)
	}
	return out
}

// IsName reports whether a file name is one kustomize reads a kustomization from.
func IsName(name string) bool { return isKustomizationName(name) }
