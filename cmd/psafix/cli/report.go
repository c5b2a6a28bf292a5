package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
)

const formatMarkdown = "markdown"

const reportHelp = `psafix report shows, per namespace, where a Pod Security Admission rollout stands: the
workloads, how many pass privileged, baseline and restricted today and how many would
after 'psafix --write' (with the same flags), what would still fail and why (PSA check
IDs), the pod-security.kubernetes.io labels the Namespace has, and the labels psafix
recommends: enforce at the strictest level every workload passes after fixing, audit and
warn at restricted, each with its version pinned (--version, or the namespace's
enforce-version label; latest is pinned to the newest policy psafix knows, so that a
cluster upgrade never tightens the policy unannounced). Objects exempt from fixers (the
psafix.dev/skip annotation, or .psafix.yaml) are listed with their reason.

Nothing is written. The namespace of a workload is its metadata.namespace, or --namespace;
a Namespace labelled pod-security.kubernetes.io/enforce sets the level (and
enforce-version the version) its workloads are fixed for, unless --level (--version) is
given; privileged namespaces are left alone.

Exit codes: 0 the report was made; 2 an error (a bad flag, a file that cannot be read or
parsed: the report covers the other files).`

func newReportCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "report [flags] [PATH ...]",
		Short: "Per namespace: what passes today, after fixing, and the PSA labels to set",
		Long:  reportHelp,
		Example: `  psafix report ./k8s
  psafix report --format markdown ./k8s > rollout.md
  psafix report --namespace shop --format json ./k8s`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format := f.format
			switch format {
			case formatText, formatJSON, formatMarkdown:
			default:
				return usageError{fmt.Errorf("--format must be text, json or markdown, not %q", format)}
			}
			f.format, f.color = formatText, "never"
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			r := &run{opts: opts, flags: f, stdin: stdin, stdout: stdout, stderr: stderr}
			sv, err := r.surveyArgs(args)
			if err != nil {
				*code = ExitError
				return err
			}
			switch format {
			case formatJSON:
				sv.writeJSON(stdout)
			case formatMarkdown:
				sv.writeMarkdown(stdout)
			default:
				sv.writeText(stdout)
			}
			fmt.Fprintf(stderr, "psafix report: %s, %s in %s", plural(sv.files, "file", "files"), plural(sv.workloads, "workload", "workloads"), plural(len(sv.list), "namespace", "namespaces"))
			if len(sv.errs) > 0 {
				fmt.Fprintf(stderr, ", %d errors", len(sv.errs))
			}
			fmt.Fprintln(stderr)
			if len(sv.errs) > 0 {
				*code = ExitError
			}
			return nil
		},
	}
	f.common(cmd.Flags())
	cmd.Flags().Lookup("format").Usage = "report format: text, json or markdown"
	return cmd
}

// levels are PSA's levels, from the loosest.
var levels = []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted}

func levelRank(l api.Level) int {
	for i, x := range levels {
		if x == l {
			return i
		}
	}
	return 0
}

// podRef is one workload of the survey.
type podRef struct {
	path string
	fixers.PodSummary
	// problem says why a workload was not evaluated (its pod spec does not decode).
	problem string
}

// nsSurvey is one namespace: its manifest, its target and its workloads.
type nsSurvey struct {
	name     string
	manifest *nsManifest
	target   fixers.Target
	pods     []podRef
	before   map[api.Level]int
	after    map[api.Level]int
	rec      recommendation
}

// survey is what a run over the inputs found, by namespace.
type survey struct {
	opts      *fixers.Options
	ro        *rollout
	files     int
	workloads int
	list      []*nsSurvey
	errs      []jsonMessage
	pin       string // the version labels are pinned to where the namespace names none
	inputs    []input
}

// surveyArgs collects the inputs, runs the pre-pass and the engine (writing nothing) and
// sums up the workloads by namespace.
func (r *run) surveyArgs(args []string) (*survey, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	inputs, err := r.collect(args)
	if err != nil {
		return nil, err
	}
	ro, err := r.prepare(args, inputs)
	if err != nil {
		return nil, err
	}
	sv := &survey{opts: r.opts, ro: ro, pin: pinVersion(r.opts.Version), inputs: inputs}
	byName := map[string]*nsSurvey{}
	get := func(name string) *nsSurvey {
		ns := byName[name]
		if ns == nil {
			ns = &nsSurvey{name: name, manifest: ro.manifest(name), target: ro.targetFor(name), before: map[api.Level]int{}, after: map[api.Level]int{}}
			byName[name] = ns
		}
		return ns
	}
	for _, name := range ro.names() {
		get(name)
	}
	engine := fixers.NewEngine(r.opts)
	process(inputs, r.flags.jobs, func(in input) *fixers.Result {
		res, _ := r.fix(engine, in)
		return res
	}, nil, func(res *fixers.Result) {
		sv.files++
		for _, b := range res.Bugs {
			sv.fail(r.stderr, res.Path, b.Line, b.String())
		}
		if res.Err != nil {
			line := 0
			var fe *fixers.FileError
			if errors.As(res.Err, &fe) {
				line = fe.Line
			}
			sv.fail(r.stderr, res.Path, line, res.Err.Error())
			return
		}
		sv.workloads += len(res.Pods)
		problems := map[string]string{}
		for _, rep := range res.Remaining {
			if rep.Check == "" {
				problems[rep.Object] = rep.Message
			}
		}
		for _, p := range res.Pods {
			ns := get(p.Namespace)
			ref := podRef{path: res.Path, PodSummary: p}
			if !p.After[api.LevelPrivileged] {
				ref.problem = problems[p.Object]
				if ref.problem == "" {
					ref.problem = "not evaluated"
				}
			}
			ns.pods = append(ns.pods, ref)
			for _, l := range levels {
				if p.Before[l] {
					ns.before[l]++
				}
				if p.After[l] {
					ns.after[l]++
				}
			}
		}
	})
	for _, ns := range byName {
		ns.rec = recommend(ns, "")
		sv.list = append(sv.list, ns)
	}
	sort.Slice(sv.list, func(i, j int) bool {
		a, b := sv.list[i].name, sv.list[j].name
		if (a == "") != (b == "") {
			return b == "" // workloads without a namespace last
		}
		return a < b
	})
	return sv, nil
}

func (sv *survey) fail(w io.Writer, path string, line int, msg string) {
	sv.errs = append(sv.errs, jsonMessage{Path: path, Line: line, Message: msg})
	fmt.Fprintln(w, msg)
}

// pinVersion is the version PSA labels are pinned to for a target version: itself, or for
// latest the newest policy version psafix knows (what latest means for this psafix). A
// pinned version keeps a cluster upgrade from changing what is enforced.
func pinVersion(v api.Version) string {
	if v.Latest() {
		return fixers.NewestVersion().String()
	}
	return v.String()
}

// label is one label to set.
type label struct{ key, value string }

// recommendation is the labels psafix recommends for a namespace, and why.
type recommendation struct {
	labels []label
	// enforce is the recommended enforce level, "" for none.
	enforce string
	why     string
	// leftAlone marks a namespace psafix does not relabel (enforce=privileged by its label,
	// or no namespace at all).
	leftAlone bool
}

// recommend decides a namespace's labels: enforce at the strictest level every workload
// passes after fixing (never lower than an enforce label it has), audit and warn at
// restricted, every mode's version pinned. pin overrides the version.
func recommend(ns *nsSurvey, pin string) recommendation {
	if ns.name == "" {
		return recommendation{leftAlone: true, why: "no namespace: set metadata.namespace, or name it with --namespace"}
	}
	if pin == "" {
		pin = pinVersion(ns.target.Version)
	}
	cur, hasCur := api.Level(""), false
	if v, ok := ns.manifest.psaLabels()[psaEnforce]; ok {
		cur, hasCur = parseLevel(v)
	}
	if hasCur && cur == api.LevelPrivileged {
		return recommendation{leftAlone: true, why: "enforce=privileged by its label: psafix leaves the namespace and its workloads alone"}
	}
	rec := recommendation{}
	n := len(ns.pods)
	switch {
	case n == 0:
		rec.why = "no workloads in the input: audit and warn only"
	case ns.after[api.LevelRestricted] == n:
		rec.enforce = string(api.LevelRestricted)
		rec.why = passes(n, n) + " restricted after fixing"
	case ns.after[api.LevelBaseline] == n:
		rec.enforce = string(api.LevelBaseline)
		rec.why = fmt.Sprintf("%s baseline after fixing, %s restricted", passes(n, n), fails(n-ns.after[api.LevelRestricted], n))
	default:
		rec.why = fmt.Sprintf("%s baseline even after fixing: fix or exempt before enforcing", fails(n-ns.after[api.LevelBaseline], n))
	}
	if hasCur && n > 0 && (rec.enforce == "" || levelRank(cur) > levelRank(api.Level(rec.enforce))) {
		rec.why = fmt.Sprintf("keeps enforce=%s from its label although %s it even after fixing", cur, fails(n-ns.after[cur], n))
		rec.enforce = string(cur)
	}
	if n > 0 && ns.target.Level == api.LevelBaseline {
		rec.why += "; psafix report --level restricted shows what restricted takes"
	}
	if rec.enforce != "" {
		rec.labels = append(rec.labels, label{psaEnforce, rec.enforce}, label{psaEnforce + "-version", pin})
	}
	for _, mode := range psaModes[1:] {
		rec.labels = append(rec.labels, label{psaPrefix + mode, string(api.LevelRestricted)}, label{psaPrefix + mode + "-version", pin})
	}
	return rec
}

// plural says "1 file" or "2 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// passes says "the workload passes" or "all 3 workloads pass" (k of n).
func passes(k, n int) string { return workloads(k, n, "passes", "pass") }

// fails says "the workload fails" or "1 of 3 workloads fail".
func fails(k, n int) string { return workloads(k, n, "fails", "fail") }

func workloads(k, n int, one, many string) string {
	switch {
	case n == 1:
		return "the workload " + one
	case k == n:
		return fmt.Sprintf("all %d workloads %s", n, many)
	}
	return fmt.Sprintf("%d of %d workloads %s", k, n, many)
}

func (ns *nsSurvey) displayName() string {
	if ns.name == "" {
		return "(none)"
	}
	return ns.name
}

func (ns *nsSurvey) enforceNow() string {
	if v, ok := ns.manifest.psaLabels()[psaEnforce]; ok {
		return v
	}
	return "-"
}

func (ns *nsSurvey) recommendedEnforce() string {
	switch {
	case ns.name == "":
		return "(no namespace)"
	case ns.rec.leftAlone:
		return "(left alone)"
	case ns.rec.enforce == "":
		return "(none: audit, warn)"
	}
	return ns.rec.enforce
}

func targetString(t fixers.Target) string {
	if t.Level == api.LevelPrivileged {
		return string(t.Level)
	}
	return string(t.Level) + " " + t.Version.String()
}

// remaining lists, per workload, the checks still failing at its target after fixing.
func (ns *nsSurvey) remaining() []podRef {
	var out []podRef
	for _, p := range ns.pods {
		if len(p.Remaining) > 0 || p.problem != "" {
			out = append(out, p)
		}
	}
	return out
}

func (ns *nsSurvey) exempt() []podRef {
	var out []podRef
	for _, p := range ns.pods {
		if p.Exempt != nil {
			out = append(out, p)
		}
	}
	return out
}

// checkList returns the checks a workload still fails, or why it was not evaluated.
func checkList(p podRef) []string {
	seen := map[string]bool{}
	var out []string
	if p.problem != "" {
		out = append(out, p.problem)
	}
	for _, c := range p.Remaining {
		if !seen[string(c)] {
			seen[string(c)] = true
			out = append(out, string(c))
		}
	}
	sort.Strings(out)
	return out
}

func exemptFixers(x *fixers.Exemption) string {
	if len(x.Fixers) == 0 {
		return "all fixers"
	}
	return "fixers " + strings.Join(x.Fixers, ", ")
}

func (p podRef) where() string { return fmt.Sprintf("%s:%d", p.path, p.Line) }

func labelLines(m map[string]string) []string {
	var out []string
	for _, k := range sortedLabelKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// sortedLabelKeys orders PSA labels as psafix writes them: enforce, audit, warn, each with
// its version.
func sortedLabelKeys(m map[string]string) []string {
	rank := func(k string) int {
		for i, mode := range psaModes {
			switch k {
			case psaPrefix + mode:
				return 2 * i
			case psaPrefix + mode + "-version":
				return 2*i + 1
			}
		}
		return 100
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func (sv *survey) header() string {
	s := fmt.Sprintf("level %s, version %s (labels pinned to %s)", sv.opts.Level, sv.opts.Version, sv.pin)
	if sv.ro.cfg != nil {
		s += ", config " + sv.ro.cfg.path
	}
	return s
}

func (sv *survey) writeText(w io.Writer) {
	fmt.Fprintf(w, "psafix report: %s, %s; %s\n\n", plural(len(sv.list), "namespace", "namespaces"), plural(sv.workloads, "workload", "workloads"), sv.header())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOADS\tPRIVILEGED\tBASELINE\tRESTRICTED\tTARGET\tENFORCE NOW\tRECOMMENDED ENFORCE")
	for _, ns := range sv.list {
		fmt.Fprintf(tw, "%s\t%d", ns.displayName(), len(ns.pods))
		for _, l := range levels {
			fmt.Fprintf(tw, "\t%d -> %d", ns.before[l], ns.after[l])
		}
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", targetString(ns.target), ns.enforceNow(), ns.recommendedEnforce())
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPRIVILEGED, BASELINE, RESTRICTED: workloads passing the level today -> after psafix --write.")
	for _, ns := range sv.list {
		fmt.Fprintln(w)
		switch {
		case ns.name == "":
			fmt.Fprintln(w, "Workloads without a namespace")
		case ns.manifest != nil:
			fmt.Fprintf(w, "Namespace %s (%s)\n", ns.name, ns.manifest.where())
		default:
			fmt.Fprintf(w, "Namespace %s (no Namespace manifest in the input: create one with the recommended labels)\n", ns.name)
		}
		field := func(name string, lines []string) {
			for i, l := range lines {
				if i == 0 {
					fmt.Fprintf(w, "  %-13s%s\n", name+":", l)
				} else {
					fmt.Fprintf(w, "  %-13s%s\n", "", l)
				}
			}
		}
		field("target", []string{targetString(ns.target) + " (" + ns.target.From + ")"})
		if ns.name != "" {
			if l := labelLines(ns.manifest.psaLabels()); len(l) > 0 {
				field("labels", l)
			} else {
				field("labels", []string{"(no pod-security labels)"})
			}
		}
		var rec []string
		for _, l := range ns.rec.labels {
			rec = append(rec, l.key+"="+l.value)
		}
		rec = append(rec, "("+ns.rec.why+")")
		field("recommended", rec)
		var rem []string
		for _, p := range ns.remaining() {
			rem = append(rem, fmt.Sprintf("%s (%s): %s", p.Object, p.where(), strings.Join(checkList(p), ", ")))
		}
		if len(rem) > 0 {
			field("after fix", rem)
		}
		var ex []string
		for _, p := range ns.exempt() {
			ex = append(ex, fmt.Sprintf("%s (%s): %s: %s (%s)", p.Object, p.where(), exemptFixers(p.Exempt), p.Exempt.Reason, p.Exempt.From))
		}
		if len(ex) > 0 {
			field("exempt", ex)
		}
	}
	if len(sv.errs) > 0 {
		fmt.Fprintln(w, "\nNot read (see above):")
		for _, e := range sv.errs {
			fmt.Fprintf(w, "  %s\n", e.Message)
		}
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}

func (sv *survey) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# psafix report\n\n%s, %s; %s.\n\n", plural(len(sv.list), "namespace", "namespaces"), plural(sv.workloads, "workload", "workloads"), mdEscape(sv.header()))
	fmt.Fprintln(w, "| Namespace | Workloads | Privileged | Baseline | Restricted | Target | Enforce now | Recommended enforce |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |")
	for _, ns := range sv.list {
		fmt.Fprintf(w, "| %s | %d", mdEscape(ns.displayName()), len(ns.pods))
		for _, l := range levels {
			fmt.Fprintf(w, " | %d → %d", ns.before[l], ns.after[l])
		}
		fmt.Fprintf(w, " | %s | %s | %s |\n", targetString(ns.target), mdEscape(ns.enforceNow()), mdEscape(ns.recommendedEnforce()))
	}
	fmt.Fprintln(w, "\nPrivileged, Baseline, Restricted: workloads passing the level today → after `psafix --write`.")
	for _, ns := range sv.list {
		fmt.Fprintln(w)
		switch {
		case ns.name == "":
			fmt.Fprintln(w, "## Workloads without a namespace")
		default:
			fmt.Fprintf(w, "## Namespace `%s`\n", ns.name)
		}
		fmt.Fprintln(w)
		if ns.name != "" {
			if ns.manifest != nil {
				fmt.Fprintf(w, "- Namespace manifest: `%s`\n", ns.manifest.where())
			} else {
				fmt.Fprintln(w, "- No Namespace manifest in the input: create one with the recommended labels.")
			}
		}
		fmt.Fprintf(w, "- Target: %s (%s)\n", targetString(ns.target), mdEscape(ns.target.From))
		if ns.name != "" {
			if l := labelLines(ns.manifest.psaLabels()); len(l) > 0 {
				fmt.Fprintf(w, "- Labels: `%s`\n", strings.Join(l, "`, `"))
			} else {
				fmt.Fprintln(w, "- Labels: no pod-security labels")
			}
		}
		fmt.Fprintf(w, "- Recommendation: %s\n", mdEscape(ns.rec.why))
		if len(ns.rec.labels) > 0 {
			fmt.Fprint(w, "\n  ```yaml\n  metadata:\n    labels:\n")
			for _, l := range ns.rec.labels {
				fmt.Fprintf(w, "      %s: %s\n", l.key, l.value)
			}
			fmt.Fprint(w, "  ```\n")
		}
		rem, ex := ns.remaining(), ns.exempt()
		if len(ns.rec.labels) > 0 && len(rem)+len(ex) > 0 {
			fmt.Fprintln(w)
		}
		if len(rem) > 0 {
			fmt.Fprintln(w, "- Still failing after the fix:")
			for _, p := range rem {
				fmt.Fprintf(w, "  - `%s` (`%s`): %s\n", p.Object, p.where(), "`"+strings.Join(checkList(p), "`, `")+"`")
			}
		}
		if len(ex) > 0 {
			fmt.Fprintln(w, "- Exempt:")
			for _, p := range ex {
				fmt.Fprintf(w, "  - `%s` (`%s`): %s: %s (%s)\n", p.Object, p.where(), exemptFixers(p.Exempt), mdEscape(p.Exempt.Reason), mdEscape(p.Exempt.From))
			}
		}
	}
	if len(sv.errs) > 0 {
		fmt.Fprintln(w, "\n## Not read")
		fmt.Fprintln(w)
		for _, e := range sv.errs {
			fmt.Fprintf(w, "- %s\n", mdEscape(e.Message))
		}
	}
}

// The JSON report.
type reportJSON struct {
	Tool       string        `json:"tool"`
	Mode       string        `json:"mode"`
	Level      string        `json:"level"`
	Version    string        `json:"version"`
	Pin        string        `json:"pin"`
	Config     string        `json:"config,omitempty"`
	Summary    reportSummary `json:"summary"`
	Namespaces []nsJSON      `json:"namespaces"`
	Errors     []jsonMessage `json:"errors"`
}

type reportSummary struct {
	Files      int            `json:"files"`
	Namespaces int            `json:"namespaces"`
	Workloads  int            `json:"workloads"`
	Before     map[string]int `json:"passingBefore"`
	After      map[string]int `json:"passingAfter"`
}

type locJSON struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

type targetJSON struct {
	Level   string `json:"level"`
	Version string `json:"version"`
	From    string `json:"from"`
}

type nsJSON struct {
	Name           string            `json:"name"`
	Manifest       *locJSON          `json:"manifest"`
	Target         targetJSON        `json:"target"`
	Workloads      int               `json:"workloads"`
	Before         map[string]int    `json:"passingBefore"`
	After          map[string]int    `json:"passingAfter"`
	Labels         map[string]string `json:"labels"`
	Recommended    map[string]string `json:"recommendedLabels"`
	Recommendation string            `json:"recommendation"`
	LeftAlone      bool              `json:"leftAlone,omitempty"`
	Objects        []objJSON         `json:"objects"`
}

type objJSON struct {
	Object    string          `json:"object"`
	Path      string          `json:"path"`
	Line      int             `json:"line"`
	Before    map[string]bool `json:"passesBefore"`
	After     map[string]bool `json:"passesAfter"`
	Fixed     bool            `json:"fixed"`
	Remaining []string        `json:"remaining"`
	Exempt    *exemptJSON     `json:"exempt,omitempty"`
}

type exemptJSON struct {
	Fixers []string `json:"fixers"`
	Reason string   `json:"reason"`
	From   string   `json:"from"`
}

func levelCounts(m map[api.Level]int) map[string]int {
	out := map[string]int{}
	for _, l := range levels {
		out[string(l)] = m[l]
	}
	return out
}

func levelBools(m map[api.Level]bool) map[string]bool {
	out := map[string]bool{}
	for _, l := range levels {
		out[string(l)] = m[l]
	}
	return out
}

func (sv *survey) writeJSON(w io.Writer) {
	rep := reportJSON{Tool: "psafix", Mode: "report", Level: string(sv.opts.Level), Version: sv.opts.Version.String(), Pin: sv.pin,
		Namespaces: []nsJSON{}, Errors: sv.errs}
	if sv.ro.cfg != nil {
		rep.Config = sv.ro.cfg.path
	}
	if rep.Errors == nil {
		rep.Errors = []jsonMessage{}
	}
	before, after := map[api.Level]int{}, map[api.Level]int{}
	for _, ns := range sv.list {
		j := nsJSON{Name: ns.name, Target: targetJSON{Level: string(ns.target.Level), Version: ns.target.Version.String(), From: ns.target.From},
			Workloads: len(ns.pods), Before: levelCounts(ns.before), After: levelCounts(ns.after),
			Labels: ns.manifest.psaLabels(), Recommended: map[string]string{}, Recommendation: ns.rec.why, LeftAlone: ns.rec.leftAlone, Objects: []objJSON{}}
		if ns.manifest != nil {
			j.Manifest = &locJSON{Path: ns.manifest.path, Line: ns.manifest.line}
		}
		for _, l := range ns.rec.labels {
			j.Recommended[l.key] = l.value
		}
		for _, p := range ns.pods {
			o := objJSON{Object: p.Object, Path: p.path, Line: p.Line, Before: levelBools(p.Before), After: levelBools(p.After), Fixed: p.Fixed, Remaining: checkList(p)}
			if o.Remaining == nil {
				o.Remaining = []string{}
			}
			if x := p.Exempt; x != nil {
				o.Exempt = &exemptJSON{Fixers: x.Fixers, Reason: x.Reason, From: x.From}
				if o.Exempt.Fixers == nil {
					o.Exempt.Fixers = []string{}
				}
			}
			j.Objects = append(j.Objects, o)
		}
		for _, l := range levels {
			before[l] += ns.before[l]
			after[l] += ns.after[l]
		}
		rep.Namespaces = append(rep.Namespaces, j)
	}
	rep.Summary = reportSummary{Files: sv.files, Namespaces: len(sv.list), Workloads: sv.workloads, Before: levelCounts(before), After: levelCounts(after)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(rep)
}
