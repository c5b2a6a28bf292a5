// Package cli is psafix's command line: flags become options, options become a run, and a
// run's outcome becomes an exit code. Everything here is testable in-process through Main.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/rollout"
)

// Exit codes are part of psafix's interface: scripts and CI depend on them.
const (
	// ExitOK: every workload passes the target level (with --diff or --list: and nothing
	// would change).
	ExitOK = 0
	// ExitFindings: with --diff or --list something would change, or violations remain
	// that psafix could not fix.
	ExitFindings = 1
	// ExitError: a bad flag, or a file that could not be read, parsed or written.
	ExitError = 2
)

// usageError marks errors in how psafix was called.
type usageError struct{ error }

// runError marks the other errors of a command's run (a config file, an unreadable input):
// every error cobra returns before a command runs is one of usage.
type runError struct{ error }

// markRunErrors makes the commands of the tree return their errors as runError, unless
// they are usageError, so that Main tells the two apart without reading the messages.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ue usageError
			if err == nil || errors.As(err, &ue) {
				return err
			}
			return runError{err}
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// Main runs psafix with args (without the program name) and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (exit int) {
	// The workers recover their own panics; one anywhere else ends the run as a psafix bug.
	// Files are written atomically, so those already written are whole.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "psafix bug: %v%s; please report it\n", p, fixers.PanicSite())
			exit = ExitError
		}
	}()
	defer onSignal(stderr)()
	code := ExitOK
	root := newRoot(stdin, stdout, stderr, &code)
	markRunErrors(root)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "psafix: %v\n", err)
		var re runError
		if !errors.As(err, &re) {
			fmt.Fprintln(stderr, "Run 'psafix --help' for usage.")
		}
		return ExitError
	}
	return code
}

type flags struct {
	write, diff, list bool
	color, format     string
	jobs              int
	maxSize           int64
	// namespaces are the namespaces the run acts on (the first is that of workloads that
	// name none); config names .psafix.yaml.
	namespaces []string
	config     string
	// admissionConfig names the API server's admission config file.
	admissionConfig string
	// failOn decides which violations fail the run: violations, unexempted or never.
	failOn string
	// release and values render charts: the release name and the -f files.
	release string
	values  []string
	// exclude are --exclude globs (gitignore-style, relative to the current folder).
	exclude []string
	// fs is the flag set, to tell flags given on the command line from defaults.
	fs *pflag.FlagSet
}

const longHelp = `psafix fixes Kubernetes manifests so that their pods pass the Pod Security Standards.

It reads manifests (files, directories walked for *.yaml, *.yml and *.json, or - for
standard input), finds every pod template in them (Pods, Deployments, StatefulSets,
DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, PodTemplates, List items,
and any object with spec.template.spec.containers), fixes what it safely can, checks the
result with k8s.io/pod-security-admission (the code the API server runs) and reports what
is left, with the PSA check ID and a hint.

Only the lines a fix needs change: comments, formatting, key order and every document
without a fix stay byte for byte. A file with nothing to fix is never rewritten.

Output modes (like gofmt):
  (default)    print the fixed manifests on standard output
  -w, --write  rewrite the files that change, in place and atomically
  -d, --diff   print a unified diff (git apply / patch -p1 accept it); write nothing
  -l, --list   print the paths of the files that would change

Exit codes:
  0  every workload passes the target level (with --diff/--list: and nothing would change)
  1  with --diff/--list: something would change; or violations remain that psafix cannot fix
     (--fail-on unexempted: only violations not accepted on their object; never: none)
  2  an error: a bad flag, or a file that cannot be read, parsed or written

The fixers are listed by 'psafix fixers'.`

const examples = `  # See what psafix would change in a folder
  psafix --diff ./k8s

  # Fix the files in place
  psafix --write ./k8s

  # Aim at baseline as of Kubernetes 1.30, without touching root filesystems
  psafix --level baseline --version v1.30 --skip read-only-root --write ./k8s

  # Fix rendered manifests in a pipeline
  helm template ./chart | psafix > fixed.yaml

  # On platforms that assign the UID (OpenShift), never set one
  psafix --run-as-user none --write ./k8s`

func newRoot(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	root := &cobra.Command{
		Use:           "psafix [flags] [PATH ...]",
		Short:         "Fix Kubernetes manifests for the Pod Security Standards",
		Long:          longHelp,
		Example:       examples,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A PATH that does not exist, a word two edits away from a command, is taken for it.
		SuggestionsMinimumDistance: 2,
		// Paths, not subcommands: a folder named like a subcommand is reached as ./name.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && len(args[0]) > 2 && strings.Trim(args[0], "abcdefghijklmnopqrstuvwxyz-") == "" {
				if _, err := os.Stat(args[0]); errors.Is(err, os.ErrNotExist) && len(cmd.SuggestionsFor(args[0])) > 0 {
					return usageError{fmt.Errorf("%s: no such file or folder, nor a command: did you mean 'psafix %s'?", args[0], cmd.SuggestionsFor(args[0])[0])}
				}
			}
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			r := &run{opts: opts, flags: f, stdin: stdin, stdout: stdout, stderr: stderr}
			c, err := r.main(args)
			*code = c
			return err
		},
	}
	fl := root.Flags()
	fl.BoolVarP(&f.write, "write", "w", false, "rewrite changed files in place (atomically)")
	fl.BoolVarP(&f.diff, "diff", "d", false, "print a unified diff of the changes; write nothing")
	fl.BoolVarP(&f.list, "list", "l", false, "print the paths of files that would change")
	fl.StringVar(&f.color, "color", "auto", "colour the diff: auto, always or never")
	f.common(fl)
	f.failOnFlag(fl)
	root.AddCommand(newFixersCmd(stdout))
	root.AddCommand(newCheckCmd(stdin, stdout, stderr, code))
	root.AddCommand(newFnCmd(stdin, stdout, stderr, code))
	root.AddCommand(newReportCmd(stdin, stdout, stderr, code))
	root.AddCommand(newLabelCmd(stdin, stdout, stderr, code))
	root.AddCommand(newPostRenderCmd(stdin, stdout, stderr, code))
	root.AddCommand(newVersionCmd(stdout))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	return root
}

// common registers the flags that fix runs and check share.
func (f *flags) common(fl *pflag.FlagSet) {
	// The options that .psafix.yaml and the KRM function's config set too: rollout.Options.
	for _, o := range rollout.Options {
		switch {
		case o.OwnFlag:
		case o.Kind == rollout.Bool:
			fl.Bool(o.Flag, o.Default == "true", o.Usage)
		case o.Kind == rollout.List && o.Repeat:
			fl.StringArray(o.Flag, rollout.SplitList(o.Default), o.Usage)
		case o.Kind == rollout.List:
			fl.StringSlice(o.Flag, rollout.SplitList(o.Default), o.Usage)
		default:
			fl.String(o.Flag, o.Default, o.Usage)
		}
	}
	fl.StringVar(&f.format, "format", formatText, "report format: text, json, sarif (GitHub code scanning) or github (workflow annotations)")
	fl.IntVarP(&f.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "files processed in parallel")
	fl.Int64Var(&f.maxSize, "max-size", 10<<20, "skip (and report) files larger than this many bytes")
	fl.StringArrayVar(&f.exclude, "exclude", nil, "leave out paths matching this gitignore-style glob (** spans folders; relative to the current folder; repeatable; .psafix.yaml exclude: adds globs relative to its folder)")
	fl.StringVar(&f.release, "release", "release", "release name a Helm chart is rendered with")
	fl.StringArrayVarP(&f.values, "values", "f", nil, "values file a Helm chart is rendered with (repeatable, a later one wins; only with one chart as PATH); a fix goes to the last file that sets the key")
	fl.StringSliceVarP(&f.namespaces, "namespace", "n", nil, "act only on these namespaces (comma-separated or repeated, as kubectl get -n selects); workloads without metadata.namespace take the first")
	fl.StringVar(&f.admissionConfig, "admission-config", "", "the API server's PodSecurity admission config (AdmissionConfiguration or PodSecurityConfiguration): its defaults are the level of namespaces without labels, its exempt namespaces and runtime classes are left alone")
	fl.StringVar(&f.config, "config", "", "config file (default: "+rollout.ConfigName+" found upward from the paths)")
	f.fs = fl
}

const checkHelp = `psafix check reports the Pod Security Standards violations of manifests as they are,
and for each one whether psafix can fix it. Nothing is fixed or written.

Exit codes: 0 every workload passes the target level; 1 violations found; 2 an error.
--fail-on unexempted counts only violations not accepted on their object (the
psafix.dev/accept annotation, with psafix.dev/accept-reason) nor on an object exempt from
the fixer that answers them; --fail-on never exits 0 whatever remains (errors still exit 2).
With --format json, sarif or github the report goes to standard output.`

func newCheckCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "check [flags] [PATH ...]",
		Short: "Report violations without fixing anything",
		Long:  checkHelp,
		Example: `  psafix check ./k8s
  psafix check --format sarif ./k8s > psafix.sarif
  psafix check --level baseline --version v1.30 ./k8s`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.color = "never"
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			r := &run{opts: opts, flags: f, check: true, stdin: stdin, stdout: stdout, stderr: stderr}
			c, err := r.main(args)
			*code = c
			return err
		},
	}
	f.common(cmd.Flags())
	f.failOnFlag(cmd.Flags())
	return cmd
}

// failOnFlag registers --fail-on, for the commands whose exit code says whether violations
// remain.
func (f *flags) failOnFlag(fl *pflag.FlagSet) {
	o := rollout.OptionByKey("failOn")
	fl.StringVar(&f.failOn, o.Flag, rollout.FailOnViolations, o.Usage+" (default: defaults.failOn in "+rollout.ConfigName+", else violations)")
	fl.Lookup(o.Flag).DefValue = "" // the usage says the default (the config's): no second one
}

// layer is the options given on the command line (rollout.Options), to read over the
// config file's.
func (f *flags) layer() *rollout.Layer {
	l := rollout.NewLayer(nil)
	for _, o := range rollout.Options {
		if !f.fs.Changed(o.Flag) {
			continue
		}
		var v rollout.Value
		switch {
		case o.Kind == rollout.Bool:
			b, _ := f.fs.GetBool(o.Flag)
			v.Str = strconv.FormatBool(b)
		case o.Kind == rollout.List && o.Repeat:
			v.List, _ = f.fs.GetStringArray(o.Flag)
		case o.Kind == rollout.List:
			v.List, _ = f.fs.GetStringSlice(o.Flag)
		default:
			v.Str, _ = f.fs.GetString(o.Flag)
		}
		l.Set(o.Key, v)
	}
	return l
}

func (f *flags) options() (*fixers.Options, error) {
	_, o, err := rollout.Read(f.layer())
	if err != nil {
		return nil, err
	}
	if (f.write && f.diff) || (f.write && f.list) || (f.diff && f.list) {
		return nil, errors.New("--write, --diff and --list are three ways to deliver the changes: give one")
	}
	switch f.color {
	case "auto", "always", "never":
	default:
		return nil, fmt.Errorf("--color must be auto, always or never, not %q", f.color)
	}
	switch f.format {
	case formatText, formatJSON, formatSARIF, formatGitHub:
	default:
		return nil, fmt.Errorf("--format must be text, json, sarif or github, not %q", f.format)
	}
	switch f.failOn {
	case "", rollout.FailOnViolations, rollout.FailOnUnexempted, rollout.FailOnNever:
	default:
		return nil, fmt.Errorf("--fail-on must be violations, unexempted or never, not %q", f.failOn)
	}
	for _, ns := range f.namespaces {
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("--namespace %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
		}
	}
	if f.jobs < 1 {
		f.jobs = 1
	}
	return o, nil
}

func newFixersCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "fixers",
		Short: "List the fixers: ID, the PSA checks each answers, what it changes, default on or off",
		Long: `psafix fixers lists the fixers on standard output: each one's ID (what --fixers and
--skip take, and the psafix.dev/skip annotation and .psafix.yaml name), whether it runs by
default, the PSA check IDs it answers and what it changes; then the PSA checks psafix
reports but never fixes, each with the hint that says why. It reads no manifest.`,
		Example: "  psafix fixers\n  psafix --fixers seccomp,no-privilege-escalation --diff ./k8s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range fixers.All {
				def := "on"
				if !f.Default {
					def = "off"
				}
				checks := "-"
				if len(f.Checks) > 0 {
					var ids []string
					for _, c := range f.Checks {
						ids = append(ids, string(c))
					}
					checks = strings.Join(ids, ",")
				}
				fmt.Fprintf(stdout, "%-24s default %-3s  checks: %s\n%-24s %s\n", f.ID, def, checks, "", f.Doc)
			}
			fmt.Fprintln(stdout, "\nReported, never fixed (the hint says why):")
			for _, id := range fixers.NewEvaluator().CheckIDs() {
				if h, fixer := fixers.Hint(id, nil); fixer == "" {
					fmt.Fprintf(stdout, "  %-26s %s\n", id, h)
				}
			}
			return nil
		},
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
