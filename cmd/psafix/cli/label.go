package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/kio"
)

const labelHelp = `psafix label puts Pod Security Admission labels into the Namespace manifests of the
input: by default the labels 'psafix report' recommends (enforce at the strictest level
every workload of the namespace passes after 'psafix --write', audit and warn at
restricted, every version pinned), or only the modes named with --enforce, --audit and
--warn, pinned to --pin. Only label lines change: an existing label is changed in place
(its comment stays), a missing one is added under metadata.labels in the file's style.

Namespaces labelled enforce=privileged are left alone, and an enforce label is never
lowered unless --enforce asks. A namespace that workloads name but that has no Namespace
manifest in the input is reported with the labels to create it with.

Output modes are those of a fix run: the manifests on standard output, --write, --diff or
--list. Exit codes: 0 done (with --diff/--list: nothing would change); 1 with
--diff/--list: something would change; 2 an error.`

// labelFlags are the label command's own flags.
type labelFlags struct {
	enforce, audit, warn, pin string
}

func newLabelCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	lf := &labelFlags{}
	cmd := &cobra.Command{
		Use:   "label [flags] [PATH ...]",
		Short: "Put the recommended pod-security.kubernetes.io labels into Namespace manifests",
		Long:  labelHelp,
		Example: `  psafix label --diff ./k8s
  psafix label --write ./k8s
  psafix label --warn restricted --audit restricted --pin v1.35 --write ./k8s
  psafix label --enforce baseline --write ./k8s/namespaces.yaml ./k8s`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.format != formatText {
				return usageError{fmt.Errorf("--format: label reports as text only (use psafix report --format %s)", f.format)}
			}
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			for _, l := range []struct{ name, v string }{{"enforce", lf.enforce}, {"audit", lf.audit}, {"warn", lf.warn}} {
				if _, ok := parseLevel(l.v); l.v != "" && !ok {
					return usageError{fmt.Errorf("--%s must be privileged, baseline or restricted, not %q", l.name, l.v)}
				}
			}
			if lf.pin != "" {
				if _, err := api.ParseVersion(lf.pin); err != nil {
					return usageError{fmt.Errorf("--pin must be v1.N or latest, not %q", lf.pin)}
				}
			}
			r := &run{opts: opts, flags: f, stdin: stdin, stdout: stdout, stderr: stderr}
			c, err := r.label(args, lf)
			*code = c
			return err
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.write, "write", "w", false, "rewrite changed files in place (atomically)")
	fl.BoolVarP(&f.diff, "diff", "d", false, "print a unified diff of the changes; write nothing")
	fl.BoolVarP(&f.list, "list", "l", false, "print the paths of files that would change")
	fl.StringVar(&f.color, "color", "auto", "colour the diff: auto, always or never")
	fl.StringVar(&lf.enforce, "enforce", "", "set only the named modes: the enforce level (privileged, baseline or restricted)")
	fl.StringVar(&lf.audit, "audit", "", "set only the named modes: the audit level")
	fl.StringVar(&lf.warn, "warn", "", "set only the named modes: the warn level")
	fl.StringVar(&lf.pin, "pin", "", "the version the *-version labels pin (default: --version, or the namespace's enforce-version; latest pins the newest policy psafix knows)")
	f.common(fl)
	fl.Lookup("format").Usage = "report format: text"
	cmd.MarkFlagsMutuallyExclusive("write", "diff", "list")
	return cmd
}

// explicit reports whether modes were named on the command line.
func (lf *labelFlags) explicit() bool { return lf.enforce != "" || lf.audit != "" || lf.warn != "" }

// plan decides the labels of one namespace; warnings say what the user should know.
func (lf *labelFlags) plan(ns *nsSurvey) (labels []label, warnings []string) {
	if ns.rec.leftAlone {
		return nil, nil
	}
	if !lf.explicit() {
		return recommend(ns, lf.pin).labels, nil
	}
	pin := lf.pin
	if pin == "" {
		pin = pinVersion(ns.target.Version)
	}
	for _, m := range []struct{ mode, level string }{{"enforce", lf.enforce}, {"audit", lf.audit}, {"warn", lf.warn}} {
		if m.level == "" {
			continue
		}
		labels = append(labels, label{psaPrefix + m.mode, m.level}, label{psaPrefix + m.mode + "-version", pin})
	}
	if lf.enforce != "" {
		if n, ok := len(ns.pods), ns.after[api.Level(lf.enforce)]; ok < n {
			warnings = append(warnings, fmt.Sprintf("%s %s even after fixing: the API server will reject such pods", fails(n-ok, n), lf.enforce))
		}
	}
	return labels, warnings
}

// labelChange is one label psafix sets on a Namespace manifest.
type labelChange struct {
	label
	old string
	had bool
}

// label runs the label command.
func (r *run) label(args []string, lf *labelFlags) (int, error) {
	sv, err := r.surveyArgs(args)
	if err != nil {
		return ExitError, err
	}
	for _, in := range sv.inputs {
		if in.stdin && r.flags.write {
			return ExitError, usageError{errors.New("--write cannot rewrite standard input; write to a file or drop --write")}
		}
	}
	failed := map[string]bool{}
	for _, e := range sv.errs {
		failed[e.Path] = true
	}
	errs := len(sv.errs)
	plans := map[string][]label{}
	for _, ns := range sv.list {
		labels, warnings := lf.plan(ns)
		plans[ns.name] = labels
		where := "psafix label: namespace " + ns.name
		if ns.manifest != nil {
			where = fmt.Sprintf("%s: Namespace/%s", ns.manifest.where(), ns.name)
		}
		for _, w := range warnings {
			fmt.Fprintf(r.stderr, "%s: warning: %s\n", where, w)
		}
		switch {
		case ns.name == "":
			fmt.Fprintf(r.stderr, "psafix label: %s no namespace (set metadata.namespace, or name it with --namespace): not labelled\n", plural(len(ns.pods), "workload has", "workloads have"))
		case ns.rec.leftAlone:
			fmt.Fprintf(r.stderr, "%s: left alone: %s\n", where, ns.rec.why)
		case ns.manifest == nil && len(labels) > 0:
			var l []string
			for _, x := range labels {
				l = append(l, x.key+"="+x.value)
			}
			fmt.Fprintf(r.stderr, "psafix label: no Namespace manifest for %s: create one with these labels: %s\n", ns.name, strings.Join(l, ", "))
		}
	}

	r.stdin = bytes.NewReader(sv.ro.stdin)
	manifests, changedManifests, changedFiles := 0, 0, 0
	for _, in := range sv.inputs {
		if in.err != nil || failed[in.path] {
			if !r.flags.write && !r.flags.diff && !r.flags.list && in.err == nil {
				if data, err := r.read(in); err == nil {
					r.out(data)
				}
			}
			continue
		}
		snap, err := r.snapshot(in)
		if err != nil {
			errs++
			fmt.Fprintf(r.stderr, "%s: %s\n", in.path, errMsg(err))
			continue
		}
		data := snap.Data
		out, changes, err := labelFile(in.path, data, plans)
		if err != nil {
			errs++
			fmt.Fprintln(r.stderr, err)
			out = nil
		}
		for _, c := range changes {
			manifests++
			if len(c.changes) == 0 {
				continue
			}
			changedManifests++
			var l []string
			for _, ch := range c.changes {
				s := strings.TrimPrefix(ch.key, psaPrefix) + "=" + ch.value
				if ch.had {
					s += " (was " + ch.old + ")"
				}
				l = append(l, s)
			}
			fmt.Fprintf(r.stderr, "%s: Namespace/%s: %s\n", c.m.where(), c.m.name, strings.Join(l, ", "))
		}
		changed := out != nil && !bytes.Equal(out, data)
		if changed {
			changedFiles++
		}
		switch {
		case r.flags.write:
			if changed {
				if err := kio.WriteFile(in.path, snap, out); err != nil {
					errs++
					changedFiles--
					fmt.Fprintf(r.stderr, "%s: not written: %v\n", in.path, errMsg(err))
				}
			}
		case r.flags.diff:
			if changed {
				d := diffview.Unified(diffPath(in.path), diffPath(in.path), data, out, 3)
				if r.flags.color == "always" || (r.flags.color == "auto" && isTerminal(r.stdout)) {
					d = diffview.Colorize(d)
				}
				io.WriteString(r.stdout, d)
			}
		case r.flags.list:
			if changed {
				fmt.Fprintln(r.stdout, in.path)
			}
		default:
			if changed {
				r.out(out)
			} else {
				r.out(data)
			}
		}
	}
	missing := 0
	for _, ns := range sv.list {
		if ns.name != "" && ns.manifest == nil && len(plans[ns.name]) > 0 {
			missing++
		}
	}
	verb := "changed"
	if r.flags.diff || r.flags.list {
		verb = "would change"
	}
	msg := fmt.Sprintf("psafix label: %s (%d %s), %s %s, %s without a manifest", plural(manifests, "Namespace manifest", "Namespace manifests"), changedManifests, verb,
		plural(changedFiles, "file", "files"), verb, plural(missing, "namespace", "namespaces"))
	if errs > 0 {
		msg += fmt.Sprintf(", %d errors", errs)
	}
	fmt.Fprintln(r.stderr, msg)
	switch {
	case errs > 0:
		return ExitError, nil
	case (r.flags.diff || r.flags.list) && changedFiles > 0:
		return ExitFindings, nil
	}
	return ExitOK, nil
}

// manifestChanges are the labels set on one Namespace manifest.
type manifestChanges struct {
	m       *nsManifest
	changes []labelChange
}

// labelFile sets the planned labels on the Namespace objects of a file with the editor,
// so that only label lines change, and checks the result: it parses, has the same
// comments, and is the same object but for the pod-security labels. It returns the new
// bytes (the old ones when nothing changes) and the changes by manifest.
func labelFile(path string, data []byte, plans map[string][]label) ([]byte, []manifestChanges, error) {
	src := kio.NewSource(data)
	var all []kio.Edit
	var out []manifestChanges
	segs := kio.Split(src.Data)
	for i, seg := range segs {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			return data, nil, fmt.Errorf("%s: %v", path, err)
		}
		if d.Root == nil {
			continue
		}
		ed := kio.NewEditor(d)
		for _, obj := range namespaceObjects(d.Root) {
			name := scalarPath(obj, "metadata", "name")
			if name == "" {
				continue
			}
			mc := manifestChanges{m: &nsManifest{name: name, path: path, line: obj.Line}}
			plan := plans[name]
			if plan == nil {
				continue
			}
			for _, l := range plan {
				cur := lookupPath(obj, "metadata", "labels", l.key)
				if kio.ScalarIs(cur, kio.Str(l.value)) {
					continue
				}
				ch := labelChange{label: l}
				if cur != nil {
					ch.had, ch.old = true, cur.Value
				}
				mc.changes = append(mc.changes, ch)
				ed.Set(obj, []string{"metadata", "labels", l.key}, kio.Str(l.value))
			}
			out = append(out, mc)
		}
		if ed.Empty() {
			continue
		}
		edits, err := ed.Edits()
		if err != nil {
			return data, out, fmt.Errorf("%s:%d: psafix cannot edit this Namespace safely, left unchanged: %v", path, seg.Line, err)
		}
		all = append(all, edits...)
	}
	if len(all) == 0 {
		return data, out, nil
	}
	sorted, err := kio.SortEdits(all)
	if err != nil {
		return data, out, fmt.Errorf("%s: psafix bug: %v", path, err)
	}
	res := kio.Apply(src.Data, sorted)
	if src.BOM {
		res = append(append([]byte{}, kio.BOM...), res...)
	}
	if why := sameButLabels(src, kio.NewSource(res)); why != "" {
		return data, out, fmt.Errorf("%s: psafix bug: the labels did not verify, file left unchanged: %s", path, why)
	}
	return res, out, nil
}

// sameButLabels compares a file before and after labelling: same documents, same comments,
// same objects once the pod-security labels of Namespaces are set aside. It returns what
// differs, or "".
func sameButLabels(before, after *kio.Source) string {
	if !reflect.DeepEqual(kio.Comments(before.Data), kio.Comments(after.Data)) {
		return "comments changed"
	}
	sb, sa := kio.Split(before.Data), kio.Split(after.Data)
	if len(sb) != len(sa) {
		return "the number of documents changed"
	}
	for i := range sb {
		db, err := kio.ParseDocument(before, sb[i], i)
		if err != nil {
			return err.Error()
		}
		da, err := kio.ParseDocument(after, sa[i], i)
		if err != nil {
			return fmt.Sprintf("document %d does not parse: %v", i+1, err)
		}
		if (db.Root == nil) != (da.Root == nil) {
			return "a document appeared or vanished"
		}
		if db.Root == nil {
			continue
		}
		vb, err := kio.ToValue(db.Root)
		if err != nil {
			return err.Error()
		}
		va, err := kio.ToValue(da.Root)
		if err != nil {
			return err.Error()
		}
		maskPSALabels(vb)
		maskPSALabels(va)
		if !reflect.DeepEqual(vb, va) {
			return fmt.Sprintf("document %d changed outside the pod-security labels", i+1)
		}
	}
	return ""
}

// maskPSALabels removes the pod-security labels of Namespace objects (and an emptied
// labels mapping) from a decoded document.
func maskPSALabels(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if items, ok := m["items"].([]any); ok {
		for _, it := range items {
			maskPSALabels(it)
		}
	}
	if m["kind"] != "Namespace" {
		return
	}
	meta, ok := m["metadata"].(map[string]any)
	if !ok {
		return
	}
	labels, _ := meta["labels"].(map[string]any)
	for k := range labels {
		if strings.HasPrefix(k, psaPrefix) {
			delete(labels, k)
		}
	}
	if l, present := meta["labels"]; present && (l == nil || len(labels) == 0) {
		delete(meta, "labels")
	}
}
