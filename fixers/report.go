package fixers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Report is one line of what psafix tells the user about a file: a violation that remains
// (Check set), or a note about a fix.
type Report struct {
	Path         string
	Line, Column int
	Object       string // Kind/name or Kind/namespace/name
	Container    string
	Check        policy.CheckID
	Message      string
	Hint         string
	// Fixer is the fixer that answers the check (empty when none does).
	Fixer string
	// Note marks a message about a fix made, rather than a violation.
	Note bool
	// Fixable marks a violation of the original that psafix's fix removes.
	Fixable bool
	// Doc is the index of the document in its file.
	Doc int
	// Field is the field path the report is about, from the document's root, as KRM
	// results write it (spec.template.spec.containers[0].securityContext.runAsNonRoot); empty
	// when the report is about a whole document.
	Field string
	// Accepted is the reason the object gives for accepting this violation
	// (psafix.dev/accept), empty when it does not.
	Accepted string
	// Start and End are the byte range of the object in the original file (BOM excluded),
	// set on a Fixable report: the edits of its fix are those of its document in that range.
	Start, End int
}

func (r Report) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", r.Path, r.Line, max(r.Column, 1), r.Text())
}

// Text is the report without its location: `KIND/NAME container "C": [check] message (hint)`.
func (r Report) Text() string {
	var b strings.Builder
	b.WriteString(r.Object)
	if r.Container != "" {
		fmt.Fprintf(&b, " container %q", r.Container)
	}
	b.WriteString(": ")
	if r.Note {
		b.WriteString("note: ")
	}
	b.WriteString(r.Detail())
	return b.String()
}

// Detail is what the report says of its object: `[check] message (hint)`, or `(accepted:
// reason)` in place of the hint. Text and the KRM function's results both write it.
func (r Report) Detail() string {
	var b strings.Builder
	if r.Check != "" {
		fmt.Fprintf(&b, "[%s] ", r.Check)
	}
	b.WriteString(r.Message)
	if r.Accepted != "" {
		fmt.Fprintf(&b, " (accepted: %s)", r.Accepted)
	} else if r.Hint != "" {
		fmt.Fprintf(&b, " (%s)", r.Hint)
	}
	return b.String()
}

// remaining evaluates every pod of the final file and reports what still fails.
func (e *Engine) remaining(res *Result, docs []*docState) {
	for _, ds := range docs {
		if len(ds.workloads) == 0 {
			continue
		}
		pods := ds.workloads
		if ds.final != nil {
			pods = ds.finalPods
			for i, ps := range pods {
				if i < len(ds.workloads) {
					ps.changed = ds.workloads[i].changed
					ps.exempt = ds.workloads[i].exempt
					ps.accept = ds.workloads[i].accept
				}
				if ps.err == nil {
					if !ps.evaluated {
						ps.failing = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec)
					}
					ps.before = e.attribute(res.Path, ps)
					ps.passes = e.passes(ps)
				}
			}
		}
		for i, ps := range pods {
			if ps.changed {
				res.Fixed++
			}
			if ps.err == nil { // one that does not decode is in Result.Errors
				declined := ""
				if i < len(ds.workloads) {
					declined = ds.workloads[i].declined
				}
				res.Remaining = append(res.Remaining, declineHints(ps.before, declined)...)
				res.Warnings = append(res.Warnings, e.warnings(res.Path, ps)...)
			}
			if i >= len(ds.workloads) {
				continue
			}
			orig := ds.workloads[i]
			sum := PodSummary{Object: orig.w.ID(), Kind: orig.w.Kind, Name: orig.w.Name, Namespace: orig.w.Namespace, Line: orig.w.Object.Line,
				Before: orig.passes, After: ps.passes, Fixed: ps.changed, Target: orig.target, Exempt: orig.exempt}
			if sum.Namespace == "" {
				sum.Namespace = e.Opts.DefaultNamespace
			}
			for _, r := range ps.before {
				sum.Remaining = append(sum.Remaining, r.Check)
			}
			res.Pods = append(res.Pods, sum)
			start, end := ds.doc.Span(orig.w.Object)
			for _, b := range orig.before {
				if b.Fixable = !hasFinding(ps.before, b); b.Fixable {
					b.Hint = "fixable: psafix --write (" + b.Fixer + " fixer)"
					b.Start, b.End = start, end
				} else if orig.declined != "" && b.Fixer != "" && e.Opts.Fixers[b.Fixer] {
					b.Hint = "not fixed: " + orig.declined
				}
				res.Before = append(res.Before, b)
			}
		}
	}
	sortReports(res.Remaining)
	sortReports(res.Warnings)
	sortReports(res.Notes)
	sortReports(res.Before)
}

// warnings are the violations a fixed pod still has at Options.WarnLevel and not at its
// target.
func (e *Engine) warnings(path string, ps *podState) []Report {
	warn := e.Opts.WarnLevel
	if warn == "" || warn == ps.target.Level {
		return nil
	}
	lv := api.LevelVersion{Level: warn, Version: ps.target.Version}
	var out []Report
	for _, r := range e.attributeAt(path, ps, lv, e.eval.Evaluate(lv, ps.meta, ps.spec)) {
		if !hasFinding(ps.before, r) {
			out = append(out, r)
		}
	}
	return out
}

func hasFinding(l []Report, r Report) bool {
	for _, x := range l {
		if x.Object == r.Object && x.Container == r.Container && x.Check == r.Check {
			return true
		}
	}
	return false
}

// passes tells which levels a pod passes at the target version.
func (e *Engine) passes(ps *podState) map[api.Level]bool {
	out := map[api.Level]bool{api.LevelPrivileged: true}
	if ps.err != nil {
		return out
	}
	for _, l := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		out[l] = len(e.eval.Evaluate(api.LevelVersion{Level: l, Version: ps.target.Version}, ps.meta, ps.spec)) == 0
	}
	return out
}

// attribute turns a pod's failed checks into reports, one per container where a check is
// about containers: PSA's detail names them all at once, so each container is evaluated
// alone to find which checks it fails.
func (e *Engine) attribute(path string, ps *podState) []Report {
	return e.attributeAt(path, ps, ps.lv(), ps.failing)
}

// attributeAt is attribute for the checks failing at lv.
func (e *Engine) attributeAt(path string, ps *podState, lv api.LevelVersion, failing []Finding) []Report {
	if len(failing) == 0 {
		return nil
	}
	podOnly := ps.spec.DeepCopy()
	podOnly.Containers, podOnly.InitContainers, podOnly.EphemeralContainers = nil, nil, nil
	podLevel := map[policy.CheckID]Finding{}
	for _, f := range e.eval.Evaluate(lv, ps.meta, podOnly) {
		podLevel[f.ID] = f
	}
	var out []Report
	spec := specPath(ps.w)
	report := func(f Finding, at *yaml.Node, c *Container) {
		line, col := at.Line, at.Column
		msg := f.Reason
		if f.Detail != "" {
			msg += " (" + f.Detail + ")"
		}
		hint, fixer := Hint(f.ID, e.Opts.Fixers)
		if ps.spec.OS != nil && ps.spec.OS.Name == corev1.Windows && CheckOf(f.ID).LinuxOnly {
			hint = "a Windows pod cannot set this Linux-only field; Pod Security exempts Windows pods from this check from v1.25 (--version v1.25 or later)"
			fixer = ""
		}
		container := ""
		if c != nil {
			container = c.C.Name
		}
		r := Report{Path: path, Line: line, Column: col, Object: ps.w.ID(), Container: container, Check: f.ID, Message: msg, Hint: hint, Fixer: fixer, Doc: ps.doc,
			Field: reportField(ps.w, spec, f.ID, c, msg)}
		if ps.accept.Accepts(f.ID, f.Detail) {
			r.Accepted = ps.accept.Reason
		}
		out = append(out, r)
	}
	attributed := map[policy.CheckID]bool{}
	for _, f := range failing {
		if pf, ok := podLevel[f.ID]; ok {
			report(pf, podField(ps.w, f.ID), nil)
			attributed[f.ID] = true
		}
	}
	p := &Pod{W: ps.w, Spec: ps.spec}
	for _, c := range p.Containers() {
		one := podOnly.DeepCopy()
		switch c.Field {
		case "containers":
			one.Containers = []corev1.Container{*c.C}
		case "initContainers":
			one.InitContainers = []corev1.Container{*c.C}
		default:
			one.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(*c.C)}}
		}
		for _, f := range e.eval.Evaluate(lv, ps.meta, one) {
			if pf, ok := podLevel[f.ID]; ok && pf.Detail == f.Detail {
				continue
			}
			report(f, firstKey(c.Node), &c)
			attributed[f.ID] = true
		}
	}
	for _, f := range failing {
		if !attributed[f.ID] {
			report(f, firstKey(ps.w.Spec), nil)
		}
	}
	return out
}

// firstKey returns the node a block mapping's position is best given by: its first key.
func firstKey(m *yaml.Node) *yaml.Node {
	if m.Kind == yaml.MappingNode && len(m.Content) > 0 {
		return m.Content[0]
	}
	return m
}

// podField points a pod-level finding at the key of the pod spec that causes it.
func podField(w *kio.Workload, id policy.CheckID) *yaml.Node {
	for _, k := range CheckOf(id).PodKeys {
		if kn, _ := kio.Lookup(w.Spec, k); kn != nil {
			return kn
		}
	}
	return firstKey(w.Spec)
}

// specPath is the field path of a workload's pod spec.
func specPath(w *kio.Workload) string { return joinPath(fieldPath(w.Path), "spec") }

// reportField is the field path a report about check id points at: the container's field
// the check reads, or the pod spec's (where a check reads several, the one set; for a
// volume check, the volume PSA's message names).
func reportField(w *kio.Workload, spec string, id policy.CheckID, c *Container, message string) string {
	ck := CheckOf(id)
	if c != nil {
		p := spec + "." + c.Field + "[" + strconv.Itoa(c.Index) + "]"
		if len(ck.ContainerFields) > 0 {
			p += "." + ck.ContainerFields[0]
		}
		return p
	}
	switch {
	case len(ck.PodFields) == 0:
		return spec
	case ck.Items:
		_, l := lookupPath(w.Spec, strings.Split(ck.PodFields[0], "."))
		if l != nil && l.Kind == yaml.SequenceNode {
			for i, it := range l.Content {
				if _, n := kio.Lookup(it, "name"); n != nil && n.Kind == yaml.ScalarNode && n.Value != "" && strings.Contains(message, strconv.Quote(n.Value)) {
					return spec + "." + ck.PodFields[0] + "[" + strconv.Itoa(i) + "]"
				}
			}
		}
	case len(ck.PodFields) > 1:
		for _, f := range ck.PodFields {
			if _, v := lookupPath(w.Spec, strings.Split(f, ".")); v != nil && v.Value == "true" {
				return spec + "." + f
			}
		}
		return spec
	}
	return spec + "." + ck.PodFields[0]
}

func sortReports(rs []Report) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Container != b.Container {
			return a.Container < b.Container
		}
		return a.Check < b.Check
	})
}

// declineHints gives the reports of checks a fixer answers, on a pod whose risky edits were
// declined, the reason instead of the generic hint: a fix run and check say the same.
func declineHints(rs []Report, declined string) []Report {
	if declined == "" {
		return rs
	}
	for i := range rs {
		if rs[i].Fixer != "" && strings.HasPrefix(rs[i].Hint, "not fixed automatically here") {
			rs[i].Hint = "not fixed: " + declined
		}
	}
	return rs
}
