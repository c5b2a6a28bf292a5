package rollout

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// Message is an error located in a file, as the reports list it.
type Message struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Survey is what a run over the inputs found, by namespace: the data psafix report
// prints (WriteText, WriteMarkdown, WriteJSON) and psafix label plans from.
type Survey struct {
	Opts      *fixers.Options
	Targets   *Targets
	Files     int
	Workloads int
	// Namespaces are sorted by name, workloads without a namespace last (after Finish).
	Namespaces []*Namespace
	Errors     []Message
	Pin        string // the version labels are pinned to where the namespace names none
	// Outside and OutsideNS count the workloads and Namespace manifests outside the
	// namespaces Selection (--namespace) selects.
	Outside, OutsideNS int
	Selection          []string

	byName map[string]*Namespace
}

// NewSurvey starts a survey for the namespaces of ro: every selected Namespace manifest
// has its entry, workloads or not.
func NewSurvey(opts *fixers.Options, ro *Targets, selection []string) *Survey {
	sv := &Survey{Opts: opts, Targets: ro, Pin: PinVersion(opts.Version), Selection: selection, byName: map[string]*Namespace{}}
	for _, name := range ro.Names() {
		if ro.Selected(name) {
			sv.namespace(name)
		} else {
			sv.OutsideNS++
		}
	}
	return sv
}

func (sv *Survey) namespace(name string) *Namespace {
	ns := sv.byName[name]
	if ns == nil {
		ns = sv.Targets.NewNamespace(name)
		sv.byName[name] = ns
	}
	return ns
}

// Add counts one file's result; its errors are printed to w as they come.
func (sv *Survey) Add(w io.Writer, res *fixers.Result) {
	sv.Files++
	for _, b := range res.Bugs {
		sv.fail(w, res.Path, b.Line, b.String())
	}
	if res.Err != nil {
		if fe := fixers.FileErrorOf(res.Err); fe.Skip {
			fmt.Fprintln(w, res.Err.Error())
		} else {
			sv.fail(w, res.Path, fe.Line, res.Err.Error())
		}
		return
	}
	for _, e := range res.Errors {
		// A workload that does not decode: an error at its line; the others are surveyed.
		sv.fail(w, res.Path, e.Line, e.Error())
	}
	problems := map[string]string{}
	for _, rep := range res.Remaining {
		if rep.Check == "" {
			problems[rep.Object] = rep.Message
		}
	}
	for _, p := range res.Pods {
		if p.Target.Outside {
			sv.Outside++
			continue
		}
		sv.Workloads++
		ref := Workload{Path: res.Path, PodSummary: p}
		if !p.After[api.LevelPrivileged] {
			ref.Problem = problems[p.Object]
			if ref.Problem == "" {
				ref.Problem = "not evaluated"
			}
		}
		sv.namespace(p.Namespace).Add(ref)
	}
}

// Finish recommends labels for every namespace and sorts them.
func (sv *Survey) Finish() {
	for _, ns := range sv.byName {
		ns.Rec = Recommend(ns, "")
		sv.Namespaces = append(sv.Namespaces, ns)
	}
	sort.Slice(sv.Namespaces, func(i, j int) bool {
		a, b := sv.Namespaces[i].Name, sv.Namespaces[j].Name
		if (a == "") != (b == "") {
			return b == "" // workloads without a namespace last
		}
		return a < b
	})
}

// Summary is psafix report's summary line: the files, workloads and namespaces, what
// --namespace left out, the errors.
func (sv *Survey) Summary() string {
	s := fmt.Sprintf("%s, %s in %s", kio.Count(sv.Files, "file", "files"), kio.Count(sv.Workloads, "workload", "workloads"), kio.Count(len(sv.Namespaces), "namespace", "namespaces"))
	if o := sv.OutsideText(); o != "" {
		s += "; " + o
	}
	if len(sv.Errors) > 0 {
		s += ", " + kio.Count(len(sv.Errors), "error", "errors")
	}
	return s
}

// OutsideText says what --namespace left out, or "".
func (sv *Survey) OutsideText() string {
	if sv.Outside+sv.OutsideNS == 0 {
		return ""
	}
	return fmt.Sprintf("%s and %s outside --namespace %s, left alone", kio.Count(sv.Outside, "workload", "workloads"),
		kio.Count(sv.OutsideNS, "Namespace manifest", "Namespace manifests"), strings.Join(sv.Selection, ","))
}

func (sv *Survey) fail(w io.Writer, path string, line int, msg string) {
	sv.Errors = append(sv.Errors, Message{Path: path, Line: line, Message: msg})
	fmt.Fprintln(w, msg)
}

func displayName(ns *Namespace) string {
	if ns.Name == "" {
		return "(none)"
	}
	return ns.Name
}

func enforceNow(ns *Namespace) string {
	if v, ok := ns.Manifest.PSALabels()[EnforceLabel]; ok {
		return v
	}
	return "-"
}

func recommendedEnforce(ns *Namespace) string {
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
func checkList(p Workload) []string {
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
		for i, mode := range Modes {
			switch k {
			case LabelPrefix + mode:
				return 2 * i
			case LabelPrefix + mode + "-version":
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

func (sv *Survey) header() string {
	s := fmt.Sprintf("level %s, version %s (labels pinned to %s)", sv.Opts.Level, sv.Opts.Version, sv.Pin)
	if sv.Targets.Config != nil {
		s += ", config " + sv.Targets.Config.Path
	}
	if a := sv.Targets.Admission; a != nil {
		s += ", admission config " + a.Where()
	}
	return s
}

func (sv *Survey) WriteText(w io.Writer) {
	fmt.Fprintf(w, "psafix report: %s, %s; %s\n\n", kio.Count(len(sv.Namespaces), "namespace", "namespaces"), kio.Count(sv.Workloads, "workload", "workloads"), sv.header())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tWORKLOADS\tPRIVILEGED\tBASELINE\tRESTRICTED\tTARGET\tENFORCE NOW\tRECOMMENDED ENFORCE")
	for _, ns := range sv.Namespaces {
		fmt.Fprintf(tw, "%s\t%d", displayName(ns), len(ns.Pods))
		for _, l := range Levels {
			fmt.Fprintf(tw, "\t%d -> %d", ns.Before[l], ns.After[l])
		}
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", targetString(ns.Target), enforceNow(ns), recommendedEnforce(ns))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nPRIVILEGED, BASELINE, RESTRICTED: workloads passing the level today -> after psafix --write.")
	for _, ns := range sv.Namespaces {
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
	if len(sv.Errors) > 0 {
		fmt.Fprintln(w, "\nNot read (see above):")
		for _, e := range sv.Errors {
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
func (sv *Survey) writeChart(w io.Writer) {
	var names, total, after, before []string
	most := 0
	for _, ns := range sv.Namespaces {
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

func (sv *Survey) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# psafix report\n\n%s, %s; %s.\n\n", kio.Count(len(sv.Namespaces), "namespace", "namespaces"), kio.Count(sv.Workloads, "workload", "workloads"), mdEscape(sv.header()))
	sv.writeChart(w)
	fmt.Fprintln(w, "| Namespace | Workloads | Privileged | Baseline | Restricted | Target | Enforce now | Recommended enforce |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |")
	for _, ns := range sv.Namespaces {
		fmt.Fprintf(w, "| %s | %d", mdEscape(displayName(ns)), len(ns.Pods))
		for _, l := range Levels {
			fmt.Fprintf(w, " | %d → %d", ns.Before[l], ns.After[l])
		}
		fmt.Fprintf(w, " | %s | %s | %s |\n", targetString(ns.Target), mdEscape(enforceNow(ns)), mdEscape(recommendedEnforce(ns)))
	}
	fmt.Fprintln(w, "\nPrivileged, Baseline, Restricted: workloads passing the level today → after `psafix --write`.")
	for _, ns := range sv.Namespaces {
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
	if len(sv.Errors) > 0 {
		fmt.Fprintln(w, "\n## Not read")
		fmt.Fprintln(w)
		for _, e := range sv.Errors {
			fmt.Fprintf(w, "- %s\n", mdEscape(e.Message))
		}
	}
}

// ReportJSON is the JSON report; its parts follow.
type ReportJSON struct {
	Tool       string          `json:"tool"`
	Mode       string          `json:"mode"`
	Level      string          `json:"level"`
	Version    string          `json:"version"`
	Pin        string          `json:"pin"`
	Config     string          `json:"config,omitempty"`
	Summary    ReportSummary   `json:"summary"`
	Namespaces []NamespaceJSON `json:"namespaces"`
	Errors     []Message       `json:"errors"`
}

type ReportSummary struct {
	Files      int            `json:"files"`
	Namespaces int            `json:"namespaces"`
	Workloads  int            `json:"workloads"`
	Before     map[string]int `json:"passingBefore"`
	After      map[string]int `json:"passingAfter"`
}

type LocationJSON struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

type TargetJSON struct {
	Level   string `json:"level"`
	Version string `json:"version"`
	From    string `json:"from"`
}

type NamespaceJSON struct {
	Name           string            `json:"name"`
	Manifest       *LocationJSON     `json:"manifest"`
	Target         TargetJSON        `json:"target"`
	Workloads      int               `json:"workloads"`
	Before         map[string]int    `json:"passingBefore"`
	After          map[string]int    `json:"passingAfter"`
	Labels         map[string]string `json:"labels"`
	Recommended    map[string]string `json:"recommendedLabels"`
	Recommendation string            `json:"recommendation"`
	LeftAlone      bool              `json:"leftAlone,omitempty"`
	Objects        []WorkloadJSON    `json:"objects"`
}

type WorkloadJSON struct {
	Object    string          `json:"object"`
	Path      string          `json:"path"`
	Line      int             `json:"line"`
	Before    map[string]bool `json:"passesBefore"`
	After     map[string]bool `json:"passesAfter"`
	Fixed     bool            `json:"fixed"`
	Remaining []string        `json:"remaining"`
	Exempt    *ExemptJSON     `json:"exempt,omitempty"`
}

type ExemptJSON struct {
	Fixers []string `json:"fixers"`
	Reason string   `json:"reason"`
	From   string   `json:"from"`
}

func levelCounts(m map[api.Level]int) map[string]int {
	out := map[string]int{}
	for _, l := range Levels {
		out[string(l)] = m[l]
	}
	return out
}

func levelBools(m map[api.Level]bool) map[string]bool {
	out := map[string]bool{}
	for _, l := range Levels {
		out[string(l)] = m[l]
	}
	return out
}

func (sv *Survey) WriteJSON(w io.Writer) {
	rep := ReportJSON{Tool: "psafix", Mode: "report", Level: string(sv.Opts.Level), Version: sv.Opts.Version.String(), Pin: sv.Pin,
		Namespaces: []NamespaceJSON{}, Errors: sv.Errors}
	if sv.Targets.Config != nil {
		rep.Config = sv.Targets.Config.Path
	}
	if rep.Errors == nil {
		rep.Errors = []Message{}
	}
	before, after := map[api.Level]int{}, map[api.Level]int{}
	for _, ns := range sv.Namespaces {
		j := NamespaceJSON{Name: ns.Name, Target: TargetJSON{Level: string(ns.Target.Level), Version: ns.Target.Version.String(), From: ns.Target.From},
			Workloads: len(ns.Pods), Before: levelCounts(ns.Before), After: levelCounts(ns.After),
			Labels: ns.Manifest.PSALabels(), Recommended: map[string]string{}, Recommendation: ns.Rec.Why, LeftAlone: ns.Rec.LeftAlone, Objects: []WorkloadJSON{}}
		if ns.Manifest != nil {
			j.Manifest = &LocationJSON{Path: ns.Manifest.Path, Line: ns.Manifest.Line}
		}
		for _, l := range ns.Rec.Labels {
			j.Recommended[l.Key] = l.Value
		}
		for _, p := range ns.Pods {
			o := WorkloadJSON{Object: p.Object, Path: p.Path, Line: p.Line, Before: levelBools(p.Before), After: levelBools(p.After), Fixed: p.Fixed, Remaining: checkList(p)}
			if o.Remaining == nil {
				o.Remaining = []string{}
			}
			if x := p.Exempt; x != nil {
				o.Exempt = &ExemptJSON{Fixers: x.Fixers, Reason: x.Reason, From: x.From}
				if o.Exempt.Fixers == nil {
					o.Exempt.Fixers = []string{}
				}
			}
			j.Objects = append(j.Objects, o)
		}
		for _, l := range Levels {
			before[l] += ns.Before[l]
			after[l] += ns.After[l]
		}
		rep.Namespaces = append(rep.Namespaces, j)
	}
	rep.Summary = ReportSummary{Files: sv.Files, Namespaces: len(sv.Namespaces), Workloads: sv.Workloads, Before: levelCounts(before), After: levelCounts(after)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(rep)
}

// PinsNewest reports whether a plan pins a version label to the newest policy psafix knows.
func PinsNewest(plans map[string][]Label) bool {
	newest := fixers.NewestVersion().String()
	for _, labels := range plans {
		for _, l := range labels {
			if strings.HasSuffix(l.Key, "-version") && l.Value == newest {
				return true
			}
		}
	}
	return false
}
