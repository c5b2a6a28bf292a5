package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/rollout"
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
			r := &run{opts: opts, flags: f, survey: true, stdin: stdin, stdout: stdout, stderr: stderr}
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
			plans := map[string][]rollout.Label{}
			for _, ns := range sv.list {
				plans[ns.Name] = ns.Rec.Labels
			}
			if note := noClusterNote(sv.ro); note != "" && pinsNewest(plans) {
				fmt.Fprintf(stderr, "psafix report: %s\n", note)
			}
			fmt.Fprintf(stderr, "psafix report: %s, %s in %s", plural(sv.files, "file", "files"), plural(sv.workloads, "workload", "workloads"), plural(len(sv.list), "namespace", "namespaces"))
			if o := sv.outsideText(); o != "" {
				fmt.Fprintf(stderr, "; %s", o)
			}
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

// survey is what a run over the inputs found, by namespace.
type survey struct {
	opts      *fixers.Options
	ro        *rollout.Targets
	files     int
	workloads int
	list      []*rollout.Namespace
	errs      []jsonMessage
	pin       string // the version labels are pinned to where the namespace names none
	inputs    []input
	// stdin is standard input, read once by the pre-pass.
	stdin []byte
	// outside and outsideNS count the workloads and Namespace manifests outside the
	// namespaces --namespace selects.
	outside, outsideNS int
	selection          []string
}

// outsideText says what --namespace left out, or "".
func (sv *survey) outsideText() string {
	if sv.outside+sv.outsideNS == 0 {
		return ""
	}
	return fmt.Sprintf("%s and %s outside --namespace %s, left alone", plural(sv.outside, "workload", "workloads"),
		plural(sv.outsideNS, "Namespace manifest", "Namespace manifests"), strings.Join(sv.selection, ","))
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
	ro, stdin, err := r.prepare(args, inputs)
	if err != nil {
		return nil, err
	}
	sv := &survey{opts: r.opts, ro: ro, pin: rollout.PinVersion(r.opts.Version), inputs: inputs, stdin: stdin, selection: r.flags.namespaces}
	byName := map[string]*rollout.Namespace{}
	get := func(name string) *rollout.Namespace {
		ns := byName[name]
		if ns == nil {
			ns = ro.NewNamespace(name)
			byName[name] = ns
		}
		return ns
	}
	for _, name := range ro.Names() {
		if ro.Selected(name) {
			get(name)
		} else {
			sv.outsideNS++
		}
	}
	engine := fixers.NewEngine(r.opts)
	one := func(res *fixers.Result) {
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
			if fe != nil && fe.Skip {
				fmt.Fprintln(r.stderr, res.Err.Error())
				return
			}
			sv.fail(r.stderr, res.Path, line, res.Err.Error())
			return
		}
		problems := map[string]string{}
		for _, rep := range res.Remaining {
			if rep.Check == "" {
				problems[rep.Object] = rep.Message
			}
		}
		for _, p := range res.Pods {
			if p.Target.Outside {
				sv.outside++
				continue
			}
			sv.workloads++
			ref := rollout.Workload{Path: res.Path, PodSummary: p}
			if !p.After[api.LevelPrivileged] {
				ref.Problem = problems[p.Object]
				if ref.Problem == "" {
					ref.Problem = "not evaluated"
				}
			}
			get(p.Namespace).Add(ref)
		}
	}
	process(inputs, r.flags.jobs, func(in input) []*fixers.Result {
		if in.chart {
			return r.surveyChart(engine, in)
		}
		if in.overlay {
			return []*fixers.Result{r.workOverlay(engine, in).Result}
		}
		res, _ := r.fix(engine, in)
		return []*fixers.Result{res}
	}, nil, func(rs []*fixers.Result) {
		for _, res := range rs {
			one(res)
		}
	})
	for _, ns := range byName {
		ns.Rec = rollout.Recommend(ns, "")
		sv.list = append(sv.list, ns)
	}
	sort.Slice(sv.list, func(i, j int) bool {
		a, b := sv.list[i].Name, sv.list[j].Name
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

// plural says "1 file" or "2 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func displayName(ns *rollout.Namespace) string {
	if ns.Name == "" {
		return "(none)"
	}
	return ns.Name
}

func enforceNow(ns *rollout.Namespace) string {
	if v, ok := ns.Manifest.PSALabels()[rollout.EnforceLabel]; ok {
		return v
	}
	return "-"
}

func recommendedEnforce(ns *rollout.Namespace) string {
	switch {
	case ns.Name == "":
		return "(no namespace)"
	case ns.Rec.LeftAlone:
		return "(left alone)"
	case ns.Rec.Enforce == "":
		return "(none: audit, warn)"
	}
	return ns.Rec.Enforce
}

func targetString(t fixers.Target) string {
	if t.Level == api.LevelPrivileged {
		return string(t.Level)
	}
	return string(t.Level) + " " + t.Version.String()
}

// checkList returns the checks a workload still fails, or why it was not evaluated.
func checkList(p rollout.Workload) []string {
	seen := map[string]bool{}
	var out []string
	if p.Problem != "" {
		out = append(out, p.Problem)
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
		for i, mode := range rollout.Modes {
			switch k {
			case rollout.LabelPrefix + mode:
				return 2 * i
			case rollout.LabelPrefix + mode + "-version":
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
	if sv.ro.Config != nil {
		s += ", config " + sv.ro.Config.Path
	}
	if a := sv.ro.Admission; a != nil {
		s += ", admission config " + a.Where()
	}
	return s
}

func (sv *survey) writeText(w io.Writer) {
	fmt.Fprintf(w, "psafix report: %s, %s; %s\n\n", plural(len(sv.list), "namespace", "namespaces"), plural(sv.workloads, "workload", "workloads"), sv.header())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOADS\tPRIVILEGED\tBASELINE\tRESTRICTED\tTARGET\tENFORCE NOW\tRECOMMENDED ENFORCE")
	for _, ns := range sv.list {
		fmt.Fprintf(tw, "%s\t%d", displayName(ns), len(ns.Pods))
		for _, l := range rollout.Levels {
			fmt.Fprintf(tw, "\t%d -> %d", ns.Before[l], ns.After[l])
		}
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", targetString(ns.Target), enforceNow(ns), recommendedEnforce(ns))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPRIVILEGED, BASELINE, RESTRICTED: workloads passing the level today -> after psafix --write.")
	for _, ns := range sv.list {
		fmt.Fprintln(w)
		switch {
		case ns.Name == "":
			fmt.Fprintln(w, "Workloads without a namespace")
		case ns.Manifest != nil:
			fmt.Fprintf(w, "Namespace %s (%s)\n", ns.Name, ns.Manifest.Where())
		default:
			fmt.Fprintf(w, "Namespace %s (no Namespace manifest in the input: create one with the recommended labels)\n", ns.Name)
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
		field("target", []string{targetString(ns.Target) + " (" + ns.Target.From + ")"})
		if ns.Name != "" {
			if l := labelLines(ns.Manifest.PSALabels()); len(l) > 0 {
				field("labels", l)
			} else {
				field("labels", []string{"(no pod-security labels)"})
			}
		}
		var rec []string
		for _, l := range ns.Rec.Labels {
			rec = append(rec, l.Key+"="+l.Value)
		}
		rec = append(rec, "("+ns.Rec.Why+")")
		field("recommended", rec)
		var rem []string
		for _, p := range ns.Remaining() {
			rem = append(rem, fmt.Sprintf("%s (%s): %s", p.Object, p.Where(), strings.Join(checkList(p), ", ")))
		}
		if len(rem) > 0 {
			field("after fix", rem)
		}
		var ex []string
		for _, p := range ns.Exempt() {
			ex = append(ex, fmt.Sprintf("%s (%s): %s: %s (%s)", p.Object, p.Where(), exemptFixers(p.Exempt), p.Exempt.Reason, p.Exempt.From))
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

// writeChart opens the markdown report with a Mermaid bar chart (GitHub renders Mermaid in
// pull requests, issues and wikis): per namespace, its workloads, and those passing
// restricted after psafix --write and today. The bars overlap, drawn in that order, so the
// gap between two is what is left to do. The JSON report has the same figures (workloads,
// passingBefore.restricted, passingAfter.restricted).
func (sv *survey) writeChart(w io.Writer) {
	var names, total, after, before []string
	most := 0
	for _, ns := range sv.list {
		if len(ns.Pods) == 0 {
			continue
		}
		names = append(names, strconv.Quote(displayName(ns)))
		total = append(total, strconv.Itoa(len(ns.Pods)))
		after = append(after, strconv.Itoa(ns.After[api.LevelRestricted]))
		before = append(before, strconv.Itoa(ns.Before[api.LevelRestricted]))
		most = max(most, len(ns.Pods))
	}
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(w, "```mermaid")
	fmt.Fprintln(w, "xychart-beta")
	fmt.Fprintln(w, `    title "Workloads passing restricted: today, after psafix --write, of all"`)
	fmt.Fprintf(w, "    x-axis [%s]\n", strings.Join(names, ", "))
	fmt.Fprintf(w, "    y-axis \"workloads\" 0 --> %d\n", most)
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(total, ", "))
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(after, ", "))
	fmt.Fprintf(w, "    bar [%s]\n", strings.Join(before, ", "))
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Bars per namespace, back to front: its workloads, those passing restricted after `psafix --write`, those passing today.")
	fmt.Fprintln(w)
}

func (sv *survey) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# psafix report\n\n%s, %s; %s.\n\n", plural(len(sv.list), "namespace", "namespaces"), plural(sv.workloads, "workload", "workloads"), mdEscape(sv.header()))
	sv.writeChart(w)
	fmt.Fprintln(w, "| Namespace | Workloads | Privileged | Baseline | Restricted | Target | Enforce now | Recommended enforce |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |")
	for _, ns := range sv.list {
		fmt.Fprintf(w, "| %s | %d", mdEscape(displayName(ns)), len(ns.Pods))
		for _, l := range rollout.Levels {
			fmt.Fprintf(w, " | %d → %d", ns.Before[l], ns.After[l])
		}
		fmt.Fprintf(w, " | %s | %s | %s |\n", targetString(ns.Target), mdEscape(enforceNow(ns)), mdEscape(recommendedEnforce(ns)))
	}
	fmt.Fprintln(w, "\nPrivileged, Baseline, Restricted: workloads passing the level today → after `psafix --write`.")
	for _, ns := range sv.list {
		fmt.Fprintln(w)
		switch {
		case ns.Name == "":
			fmt.Fprintln(w, "## Workloads without a namespace")
		default:
			fmt.Fprintf(w, "## Namespace `%s`\n", ns.Name)
		}
		fmt.Fprintln(w)
		if ns.Name != "" {
			if ns.Manifest != nil {
				fmt.Fprintf(w, "- Namespace manifest: `%s`\n", ns.Manifest.Where())
			} else {
				fmt.Fprintln(w, "- No Namespace manifest in the input: create one with the recommended labels.")
			}
		}
		fmt.Fprintf(w, "- Target: %s (%s)\n", targetString(ns.Target), mdEscape(ns.Target.From))
		if ns.Name != "" {
			if l := labelLines(ns.Manifest.PSALabels()); len(l) > 0 {
				fmt.Fprintf(w, "- Labels: `%s`\n", strings.Join(l, "`, `"))
			} else {
				fmt.Fprintln(w, "- Labels: no pod-security labels")
			}
		}
		fmt.Fprintf(w, "- Recommendation: %s\n", mdEscape(ns.Rec.Why))
		if len(ns.Rec.Labels) > 0 {
			fmt.Fprint(w, "\n  ```yaml\n  metadata:\n    labels:\n")
			for _, l := range ns.Rec.Labels {
				fmt.Fprintf(w, "      %s: %s\n", l.Key, l.Value)
			}
			fmt.Fprint(w, "  ```\n")
		}
		rem, ex := ns.Remaining(), ns.Exempt()
		if len(ns.Rec.Labels) > 0 && len(rem)+len(ex) > 0 {
			fmt.Fprintln(w)
		}
		if len(rem) > 0 {
			fmt.Fprintln(w, "- Still failing after the fix:")
			for _, p := range rem {
				fmt.Fprintf(w, "  - `%s` (`%s`): %s\n", p.Object, p.Where(), "`"+strings.Join(checkList(p), "`, `")+"`")
			}
		}
		if len(ex) > 0 {
			fmt.Fprintln(w, "- Exempt:")
			for _, p := range ex {
				fmt.Fprintf(w, "  - `%s` (`%s`): %s: %s (%s)\n", p.Object, p.Where(), exemptFixers(p.Exempt), mdEscape(p.Exempt.Reason), mdEscape(p.Exempt.From))
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
	for _, l := range rollout.Levels {
		out[string(l)] = m[l]
	}
	return out
}

func levelBools(m map[api.Level]bool) map[string]bool {
	out := map[string]bool{}
	for _, l := range rollout.Levels {
		out[string(l)] = m[l]
	}
	return out
}

func (sv *survey) writeJSON(w io.Writer) {
	rep := reportJSON{Tool: "psafix", Mode: "report", Level: string(sv.opts.Level), Version: sv.opts.Version.String(), Pin: sv.pin,
		Namespaces: []nsJSON{}, Errors: sv.errs}
	if sv.ro.Config != nil {
		rep.Config = sv.ro.Config.Path
	}
	if rep.Errors == nil {
		rep.Errors = []jsonMessage{}
	}
	before, after := map[api.Level]int{}, map[api.Level]int{}
	for _, ns := range sv.list {
		j := nsJSON{Name: ns.Name, Target: targetJSON{Level: string(ns.Target.Level), Version: ns.Target.Version.String(), From: ns.Target.From},
			Workloads: len(ns.Pods), Before: levelCounts(ns.Before), After: levelCounts(ns.After),
			Labels: ns.Manifest.PSALabels(), Recommended: map[string]string{}, Recommendation: ns.Rec.Why, LeftAlone: ns.Rec.LeftAlone, Objects: []objJSON{}}
		if ns.Manifest != nil {
			j.Manifest = &locJSON{Path: ns.Manifest.Path, Line: ns.Manifest.Line}
		}
		for _, l := range ns.Rec.Labels {
			j.Recommended[l.Key] = l.Value
		}
		for _, p := range ns.Pods {
			o := objJSON{Object: p.Object, Path: p.Path, Line: p.Line, Before: levelBools(p.Before), After: levelBools(p.After), Fixed: p.Fixed, Remaining: checkList(p)}
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
		for _, l := range rollout.Levels {
			before[l] += ns.Before[l]
			after[l] += ns.After[l]
		}
		rep.Namespaces = append(rep.Namespaces, j)
	}
	rep.Summary = reportSummary{Files: sv.files, Namespaces: len(sv.list), Workloads: sv.workloads, Before: levelCounts(before), After: levelCounts(after)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(rep)
}
