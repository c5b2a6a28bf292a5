package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
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

func newLabelCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	lf := &rollout.LabelModes{}
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
			for _, l := range []struct{ name, v string }{{"enforce", lf.Enforce}, {"audit", lf.Audit}, {"warn", lf.Warn}} {
				if _, ok := rollout.ParseLevel(l.v); l.v != "" && !ok {
					return usageError{fmt.Errorf("--%s must be privileged, baseline or restricted, not %q", l.name, l.v)}
				}
			}
			if lf.Pin != "" {
				if _, err := api.ParseVersion(lf.Pin); err != nil {
					return usageError{fmt.Errorf("--pin must be v1.N or latest, not %q", lf.Pin)}
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
	fl.StringVar(&lf.Enforce, "enforce", "", "set only the named modes: the enforce level (privileged, baseline or restricted)")
	fl.StringVar(&lf.Audit, "audit", "", "set only the named modes: the audit level")
	fl.StringVar(&lf.Warn, "warn", "", "set only the named modes: the warn level")
	fl.StringVar(&lf.Pin, "pin", "", "the version the *-version labels pin (default: --version, or the namespace's enforce-version; latest pins the newest policy psafix knows)")
	f.common(fl)
	fl.Lookup("format").Usage = "report format: text"
	return cmd
}

// label runs the label command.
func (r *run) label(args []string, lf *rollout.LabelModes) (int, error) {
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
	for _, e := range sv.Errors {
		failed[e.Path] = true
	}
	errs := len(sv.Errors)
	plans := map[string][]rollout.Label{}
	for _, ns := range sv.Namespaces {
		labels, warnings := lf.Plan(ns)
		plans[ns.Name] = labels
		where := "psafix label: namespace " + ns.Name
		if ns.Manifest != nil {
			where = fmt.Sprintf("%s: Namespace/%s", ns.Manifest.Where(), ns.Name)
		}
		for _, w := range warnings {
			fmt.Fprintf(r.stderr, "%s: warning: %s\n", where, w)
		}
		switch {
		case ns.Name == "":
			fmt.Fprintf(r.stderr, "psafix label: %s no namespace (set metadata.namespace, or name it with --namespace): not labelled\n", kio.Count(len(ns.Pods), "workload has", "workloads have"))
		case ns.Rec.LeftAlone:
			fmt.Fprintf(r.stderr, "%s: left alone: %s\n", where, ns.Rec.Why)
		case ns.Manifest == nil && len(labels) > 0:
			var l []string
			for _, x := range labels {
				l = append(l, x.Key+"="+x.Value)
			}
			fmt.Fprintf(r.stderr, "psafix label: no Namespace manifest for %s: create one with these labels: %s\n", ns.Name, strings.Join(l, ", "))
		}
	}

	if note := sv.Targets.NoClusterNote(); note != "" && lf.Pin == "" && rollout.PinsNewest(plans) {
		fmt.Fprintf(r.stderr, "psafix label: %s\n", note)
	}

	r.stdin = bytes.NewReader(sv.stdin)
	manifests, changedManifests, changedFiles := 0, 0, 0
	for _, in := range sv.inputs {
		if in.note != "" {
			fmt.Fprintf(r.stderr, "%s: %s\n", in.path, in.note)
			continue
		}
		if in.err != nil || failed[in.path] {
			if in.err == nil && !r.flags.write && !r.flags.diff && !r.flags.list {
				if data, err := r.read(in); err == nil {
					r.show(in.path, data, nil, "") // passed through as it came
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
		out, changes, err := rollout.LabelFile(in.path, data, plans)
		if err != nil {
			errs++
			fmt.Fprintln(r.stderr, err)
			out = nil
		}
		for _, c := range changes {
			manifests++
			if len(c.Changes) == 0 {
				continue
			}
			changedManifests++
			var l []string
			for _, ch := range c.Changes {
				s := strings.TrimPrefix(ch.Key, rollout.LabelPrefix) + "=" + ch.Value
				if ch.Had {
					s += " (was " + ch.Old + ")"
				}
				l = append(l, s)
			}
			fmt.Fprintf(r.stderr, "%s: Namespace/%s: %s\n", c.Manifest.Where(), c.Manifest.Name, strings.Join(l, ", "))
		}
		changed := out != nil && !bytes.Equal(out, data)
		if changed {
			changedFiles++
		}
		var fixed []byte
		if changed {
			fixed = out
		}
		if r.flags.write && changed {
			notes, err := r.write(in.path, snap, out)
			if err != nil {
				errs++
				changedFiles--
				r.notWritten(in.path, err)
			}
			r.writeNotes(in.path, notes)
		}
		r.show(in.path, data, fixed, "")
	}
	missing := 0
	for _, ns := range sv.Namespaces {
		if ns.Name != "" && ns.Manifest == nil && len(plans[ns.Name]) > 0 {
			missing++
		}
	}
	verb := "changed"
	if r.flags.diff || r.flags.list {
		verb = "would change"
	}
	msg := fmt.Sprintf("psafix label: %s (%d %s), %s %s, %s without a manifest", kio.Count(manifests, "Namespace manifest", "Namespace manifests"), changedManifests, verb,
		kio.Count(changedFiles, "file", "files"), verb, kio.Count(missing, "namespace", "namespaces"))
	if o := sv.OutsideText(); o != "" {
		msg += "; " + o
	}
	if errs > 0 {
		msg += ", " + kio.Count(errs, "error", "errors")
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
