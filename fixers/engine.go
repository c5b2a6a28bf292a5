package fixers

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	if r.Check != "" {
		fmt.Fprintf(&b, "[%s] ", r.Check)
	}
	b.WriteString(r.Message)
	if r.Hint != "" {
		fmt.Fprintf(&b, " (%s)", r.Hint)
	}
	return b.String()
}

// Result is what psafix did to one file.
type Result struct {
	Path string
	// Old is the file as read; New is the fixed file, nil when nothing changed.
	Old, New []byte
	// Workloads counts pod specs found; Fixed those that got a change.
	Workloads, Fixed int
	// Remaining are the violations left at the target level after fixing.
	Remaining []Report
	// Notes tell about fixes the user should know of (a removed capability...).
	Notes []Report
	// Err is set when the file was not processed at all (invalid YAML, a template); the
	// file is then never written.
	Err error
	// Bugs are documents whose fix failed verification: they were left as they were.
	Bugs []Report
	// Before are the violations of the file as it was, each marked Fixable when the fix
	// removes it.
	Before []Report
	// Pods sums up each workload: which levels it passes before and after the fix.
	Pods []PodSummary
	// Edits are the byte edits that turn Old into New, by document index; offsets count
	// from the start of Old (its BOM included).
	Edits map[int][]kio.Edit
}

// PodSummary tells which levels a workload passes, at the target version, before and after
// the fix.
type PodSummary struct {
	Object                string
	Kind, Name, Namespace string
	Line                  int
	Before, After         map[api.Level]bool
	Fixed                 bool
	// Target is the level and version the workload was fixed for.
	Target Target
	// Remaining are the checks that still fail at Target after the fix.
	Remaining []policy.CheckID
	// Exempt is set when fixers were kept away from the workload.
	Exempt *Exemption
}

// Changed reports whether the file's bytes change.
func (r *Result) Changed() bool { return r.New != nil }

// Engine fixes files with a set of options.
type Engine struct {
	Opts *Options
	eval *Evaluator
}

// NewEngine returns an engine for opts.
func NewEngine(opts *Options) *Engine {
	return &Engine{Opts: opts, eval: NewEvaluator()}
}

// target decides the level and version for a workload.
func (e *Engine) target(w *kio.Workload) Target {
	if e.Opts.TargetFor != nil {
		ns := w.Namespace
		if ns == "" {
			ns = e.Opts.DefaultNamespace
		}
		return e.Opts.TargetFor(ns)
	}
	return Target{Level: e.Opts.Level, Version: e.Opts.Version, From: "flags"}
}

func (ps *podState) lv() api.LevelVersion {
	return api.LevelVersion{Level: ps.target.Level, Version: ps.target.Version}
}

// exemption finds what keeps fixers away from a workload: its own annotation first, then
// the configuration.
func (e *Engine) exemption(w *kio.Workload) *Exemption {
	if v, err := kio.ToValue(w.Object); err == nil {
		if m, ok := v.(map[string]any); ok {
			if meta, ok := m["metadata"].(map[string]any); ok {
				if ann, ok := meta["annotations"].(map[string]any); ok {
					strs := map[string]string{}
					for k, x := range ann {
						if s, ok := x.(string); ok {
							strs[k] = s
						}
					}
					if x := annotationExemption(strs); x != nil {
						return x
					}
				}
			}
		}
	}
	if e.Opts.ExemptionFor != nil {
		ns := w.Namespace
		if ns == "" {
			ns = e.Opts.DefaultNamespace
		}
		return e.Opts.ExemptionFor(w.Kind, ns, w.Name)
	}
	return nil
}

// FileError is a file psafix could not process, located at a line where known.
type FileError struct {
	Path string
	Line int
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

var (
	templateAction = regexp.MustCompile(`\{\{-?\s*(\.|\$|/\*|(if|else|end|range|with|include|template|define|block|toYaml|tpl|default|printf|quote|required|lookup)\b)|\{%-?\s`)
	templateMarker = regexp.MustCompile(`\{\{|\{%`)
)

// docState is one document during a fix.
type docState struct {
	doc       *kio.Document
	workloads []*podState
	edits     []kio.Edit
}

type podState struct {
	w       *kio.Workload
	meta    *metav1.ObjectMeta
	spec    *corev1.PodSpec
	failing []Finding
	changed bool
	err     error
	doc     int                // index of the document in the file
	before  []Report           // the violations before fixing, located in the original
	passes  map[api.Level]bool // levels passed before fixing
	target  Target
	exempt  *Exemption
}

// FixFile fixes one file's bytes. It never returns partial edits: a document whose fix does
// not verify is left exactly as it was.
func (e *Engine) FixFile(path string, data []byte) *Result {
	res := &Result{Path: path, Old: data}
	src := kio.NewSource(data)
	docs, err := e.parse(path, src)
	if err != nil {
		res.Err = err
		return res
	}
	for _, ds := range docs {
		e.fixDocument(res, ds)
	}
	// Verify each changed document on its own, so that a failure costs only that document.
	var all []kio.Edit
	for _, ds := range docs {
		if len(ds.edits) == 0 {
			continue
		}
		if bug := e.verify(src, ds); bug != "" {
			res.Bugs = append(res.Bugs, Report{Path: path, Line: ds.doc.Seg.Line, Object: "document", Message: "psafix bug: the fix did not verify, document left unchanged: " + bug})
			ds.edits = nil
			for _, w := range ds.workloads {
				w.changed = false
			}
			continue
		}
		all = append(all, ds.edits...)
		if res.Edits == nil {
			res.Edits = map[int][]kio.Edit{}
		}
		for _, ed := range ds.edits {
			if src.BOM {
				ed.Start, ed.End = ed.Start+len(kio.BOM), ed.End+len(kio.BOM)
			}
			res.Edits[ds.doc.Index] = append(res.Edits[ds.doc.Index], ed)
		}
	}
	final := src
	if len(all) > 0 {
		out := kio.Apply(src.Data, all)
		if src.BOM {
			out = append(append([]byte{}, kio.BOM...), out...)
		}
		res.New = out
		final = kio.NewSource(out)
	}
	e.remaining(res, docs, final)
	return res
}

// parse splits and parses a file; any invalid document makes the whole file an error, as a
// half-understood file is not one to edit.
func (e *Engine) parse(path string, src *kio.Source) ([]*docState, error) {
	var docs []*docState
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			var pe *kio.ParseError
			if errors.As(err, &pe) {
				if templateMarker.Match(src.Data) {
					return nil, &FileError{Path: path, Line: pe.Line, Msg: "looks like a template ({{ }} or {% %}), not valid YAML: skipped; run psafix on the rendered manifests (helm template ... | psafix)"}
				}
				return nil, &FileError{Path: path, Line: pe.Line, Msg: "invalid YAML: " + pe.Msg}
			}
			return nil, &FileError{Path: path, Msg: err.Error()}
		}
		if d.Root != nil {
			// Decoding finds what kubectl would refuse: duplicate keys, alias bombs.
			if _, err := kio.ToValue(d.Root); err != nil {
				line, msg := d.Seg.Line, err.Error()
				var le *kio.LineError
				if errors.As(err, &le) {
					line, msg = le.Line, le.Msg
				}
				return nil, &FileError{Path: path, Line: line, Msg: msg + ": file left untouched"}
			}
		}
		if line := templateInPlainScalar(d); line > 0 && len(kio.FindWorkloads(d)) > 0 {
			return nil, &FileError{Path: path, Line: line, Msg: "looks like a Helm template (a {{ }} action outside quotes): skipped; run psafix on the rendered manifests (helm template ... | psafix)"}
		}
		docs = append(docs, &docState{doc: d})
	}
	return docs, nil
}

// templateInPlainScalar finds a template action written where YAML sees plain text, or a
// "{{ .Values.x }}" that YAML took for a mapping used as a key: valid YAML by accident, but a
// template all the same. Actions inside quoted strings or block scalars are data (Grafana
// dashboards, scripts) and are fine, and so are documents psafix does not edit (a
// PrometheusRule's "{{ $labels.device }}").
func templateInPlainScalar(d *kio.Document) int {
	if d.Root == nil {
		return 0
	}
	found := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if found > 0 {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 && templateAction.MatchString(n.Value) {
			found = n.Line
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.MappingNode && k.Style&yaml.FlowStyle != 0 {
					found = k.Line
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(d.Root)
	return found
}

func (e *Engine) fixDocument(res *Result, ds *docState) {
	ws := kio.FindWorkloads(ds.doc)
	if len(ws) == 0 {
		return
	}
	ed := kio.NewEditor(ds.doc)
	for _, w := range ws {
		ps := &podState{w: w, doc: ds.doc.Index, target: e.target(w), exempt: e.exemption(w)}
		ds.workloads = append(ds.workloads, ps)
		res.Workloads++
		ps.meta, ps.spec, ps.err = DecodePod(w)
		if ps.err != nil {
			continue
		}
		ps.failing = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec)
		ps.before = e.attribute(res.Path, ps)
		ps.passes = e.passes(ps)
		if ps.target.Level == api.LevelPrivileged {
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: w.Object.Line, Column: w.Object.Column, Object: w.ID(), Note: true,
				Message: "left alone: its namespace is privileged (" + ps.target.From + ")"})
			continue
		}
		if x := ps.exempt; x != nil {
			which := "all fixers"
			if len(x.Fixers) > 0 {
				which = "fixers " + strings.Join(x.Fixers, ", ")
			}
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: w.Object.Line, Column: w.Object.Column, Object: w.ID(), Note: true,
				Message: fmt.Sprintf("exempt from %s: %s (%s)", which, x.Reason, x.From)})
		}
		p := &Pod{W: w, Meta: ps.meta, Spec: ps.spec, Edit: ed, Opts: e.Opts, Target: ps.target, Exempt: ps.exempt, Failing: map[policy.CheckID]Finding{}}
		for _, f := range ps.failing {
			p.Failing[f.ID] = f
			if _, fixer := Hint(f.ID, e.Opts.Fixers); fixer == "" || !e.Opts.Fixers[fixer] || ps.exempt.Covers(fixer) {
				p.Unanswered = append(p.Unanswered, f.ID)
			}
		}
		before := ed.Changes()
		for _, f := range All {
			if !e.Opts.Fixers[f.ID] || ps.exempt.Covers(f.ID) || (len(f.Checks) > 0 && !p.Fails(f.Checks...)) {
				continue
			}
			f.Fix(p)
		}
		ps.changed = ed.Changes() != before
		for _, n := range p.Notes {
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: n.Line, Column: n.Column, Object: w.ID(), Container: n.Container, Message: n.Message, Fixer: n.Fixer, Note: true})
		}
	}
	for _, a := range ed.Anchored() {
		res.Notes = append(res.Notes, Report{Path: res.Path, Line: ds.doc.Seg.Line, Column: 1, Object: "document", Note: true,
			Message: "edited the anchor " + a + ": every alias of it gets the same change"})
	}
	edits, err := ed.Edits()
	if err != nil {
		res.Bugs = append(res.Bugs, Report{Path: res.Path, Line: ds.doc.Seg.Line, Object: "document", Message: "psafix cannot edit this document safely, left unchanged: " + err.Error()})
		for _, w := range ds.workloads {
			w.changed = false
		}
		return
	}
	ds.edits = edits
}

// DecodePod decodes a workload's pod template into the typed objects PSA checks.
func DecodePod(w *kio.Workload) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	meta := &metav1.ObjectMeta{}
	if m := w.PodMeta(); m != nil {
		if err := decodeInto(m, meta); err != nil {
			return nil, nil, fmt.Errorf("pod metadata: %w", err)
		}
	}
	spec := &corev1.PodSpec{}
	if err := decodeInto(w.Spec, spec); err != nil {
		return nil, nil, fmt.Errorf("pod spec: %w", err)
	}
	defaultPodSpec(spec)
	return meta, spec, nil
}

// defaultPodSpec applies the API server's defaults that admission sees and PSA checks
// depend on: a volume with no source is an emptyDir. Without it psafix would report a
// compliant pod.
func defaultPodSpec(spec *corev1.PodSpec) {
	for i := range spec.Volumes {
		if spec.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
}

func decodeInto(n *yaml.Node, out any) error {
	v, err := kio.ToValue(n)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// verify re-parses a fixed document and checks it against the original: it parses, it has
// the same comments, and it decodes to the same object except in the fields the fixers own.
// It returns what went wrong, or "".
func (e *Engine) verify(src *kio.Source, ds *docState) string {
	seg := ds.doc.Seg
	var docEdits []kio.Edit
	for _, ed := range ds.edits {
		docEdits = append(docEdits, kio.Edit{Start: ed.Start - seg.Start, End: ed.End - seg.Start, Text: ed.Text})
	}
	after := kio.Apply(src.Data[seg.Start:seg.End], docEdits)
	if got := kio.Split(after); len(got) != 1 {
		return "the edit created a document separator"
	}
	nsrc := kio.NewSource(after)
	nd, err := kio.ParseDocument(nsrc, kio.Segment{Start: 0, End: len(after), Line: 1}, 0)
	if err != nil {
		return "the result does not parse: " + err.Error()
	}
	if ds.doc.JSON && !json.Valid(after) && json.Valid(src.Data[seg.Start:seg.End]) {
		return "the result is no longer valid JSON"
	}
	return SameOutsideOwned(ds.doc, nd, e.Opts.WritablePaths)
}

// SameOutsideOwned compares a document before and after a fix: same comments, and the same
// object once the fields the fixers own are masked (securityContexts, the emptyDir volumes
// and mounts read-only-root adds at the writable paths, AppArmor annotations). It returns
// what differs, or "".
func SameOutsideOwned(before, after *kio.Document, writable []string) string {
	tb := before.Src.Data[before.Seg.Start:before.Seg.End]
	ta := after.Src.Data[after.Seg.Start:after.Seg.End]
	if diff := cmp.Diff(kio.Comments(tb), kio.Comments(ta)); diff != "" {
		return "comments changed (-before +after):\n" + diff
	}
	if (before.Root == nil) != (after.Root == nil) {
		return "the document appeared or vanished"
	}
	if before.Root == nil {
		return ""
	}
	vb, err := kio.ToValue(before.Root)
	if err != nil {
		return "cannot decode the original: " + err.Error()
	}
	va, err := kio.ToValue(after.Root)
	if err != nil {
		return "cannot decode the result: " + err.Error()
	}
	for _, w := range kio.FindWorkloads(before) {
		pb, pa := at(vb, w.Path), at(va, w.Path)
		if pb == nil || pa == nil {
			return "the pod template moved"
		}
		maskOwned(pb, pa, writable)
	}
	if diff := cmp.Diff(vb, va); diff != "" {
		return "a field outside the security fields changed (-before +after):\n" + diff
	}
	return ""
}

// at follows a path of keys and indexes through decoded values to a mapping.
func at(v any, path []any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	m, _ := v.(map[string]any)
	return m
}

// maskOwned removes from a pod template, before and after a fix, what the fixers may change:
// securityContexts, the emptyDir volumes and mounts read-only-root adds, and AppArmor
// annotations. Whatever differs after that is a change psafix must not make.
func maskOwned(before, after map[string]any, writable []string) {
	for _, t := range []map[string]any{before, after} {
		if meta, ok := t["metadata"].(map[string]any); ok {
			if ann, ok := meta["annotations"].(map[string]any); ok {
				for k := range ann {
					if strings.HasPrefix(k, appArmorAnnotationPrefix) || strings.HasPrefix(k, seccompAnnotationPod) || strings.HasPrefix(k, seccompAnnotationContainer) {
						delete(ann, k)
					}
				}
			}
		}
	}
	sb, _ := before["spec"].(map[string]any)
	sa, _ := after["spec"].(map[string]any)
	if sb == nil || sa == nil {
		return
	}
	delete(sb, "securityContext")
	delete(sa, "securityContext")
	dropAdded(sb, sa, "volumes", func(item map[string]any) bool {
		_, empty := item["emptyDir"]
		return len(item) == 2 && empty
	})
	ContainerPairs(sb, sa, func(_ string, _ int, cb, ca map[string]any) {
		delete(cb, "securityContext")
		delete(ca, "securityContext")
		dropAdded(cb, ca, "volumeMounts", func(item map[string]any) bool {
			mp, _ := item["mountPath"].(string)
			return len(item) == 2 && containsStr(writable, mp)
		})
	})
}

// ContainerPairs calls fn for each container of a decoded pod spec before and after a fix,
// paired by list and position (fixers never add, remove or reorder containers).
func ContainerPairs(before, after map[string]any, fn func(field string, i int, cb, ca map[string]any)) {
	for _, field := range kio.ContainerFields {
		lb, _ := before[field].([]any)
		la, _ := after[field].([]any)
		for i := range la {
			if i >= len(lb) {
				break
			}
			cb, _ := lb[i].(map[string]any)
			ca, _ := la[i].(map[string]any)
			if cb != nil && ca != nil {
				fn(field, i, cb, ca)
			}
		}
	}
}

// dropAdded removes from after[key] the items absent from before[key] that ours says a
// fixer adds (and the key itself when the fixer created it).
func dropAdded(before, after map[string]any, key string, ours func(map[string]any) bool) {
	la, ok := after[key].([]any)
	if !ok {
		return
	}
	lb, _ := before[key].([]any)
	var kept []any
	for _, it := range la {
		m, _ := it.(map[string]any)
		if m != nil && ours(m) && !containsValue(lb, it) {
			continue
		}
		kept = append(kept, it)
	}
	if old, had := before[key]; len(kept) == 0 && (!had || old == nil) {
		// The fixer created the list, or filled an empty "volumes:".
		if had {
			after[key] = nil
		} else {
			delete(after, key)
		}
		return
	}
	if kept == nil {
		kept = []any{}
	}
	after[key] = kept
}

func containsValue(l []any, v any) bool {
	for _, x := range l {
		if cmp.Equal(x, v) {
			return true
		}
	}
	return false
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// remaining evaluates every pod of the final file and reports what still fails.
func (e *Engine) remaining(res *Result, docs []*docState, final *kio.Source) {
	var segs []kio.Segment
	for _, ds := range docs {
		if len(ds.workloads) == 0 {
			continue
		}
		pods := ds.workloads
		if len(ds.edits) > 0 {
			// Locate the fixed document: segments keep their order and count.
			if segs == nil {
				segs = kio.Split(final.Data)
			}
			nd, err := kio.ParseDocument(final, segs[ds.doc.Index], ds.doc.Index)
			if err != nil {
				continue
			}
			pods = nil
			for i, w := range kio.FindWorkloads(nd) {
				ps := &podState{w: w, doc: ds.doc.Index, target: e.target(w)}
				if i < len(ds.workloads) {
					ps.changed = ds.workloads[i].changed
					ps.exempt = ds.workloads[i].exempt
				}
				ps.meta, ps.spec, ps.err = DecodePod(w)
				if ps.err == nil {
					ps.failing = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec)
					ps.before = e.attribute(res.Path, ps)
					ps.passes = e.passes(ps)
				}
				pods = append(pods, ps)
			}
		}
		for i, ps := range pods {
			if ps.changed {
				res.Fixed++
			}
			if ps.err != nil {
				res.Remaining = append(res.Remaining, Report{Path: res.Path, Line: ps.w.Object.Line, Column: ps.w.Object.Column, Object: ps.w.ID(), Message: "cannot decode: " + ps.err.Error()})
			} else {
				res.Remaining = append(res.Remaining, ps.before...)
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
			for _, b := range orig.before {
				if b.Fixable = !hasFinding(ps.before, b); b.Fixable {
					b.Hint = "fixable: psafix --write (" + b.Fixer + " fixer)"
				}
				res.Before = append(res.Before, b)
			}
		}
	}
	sortReports(res.Remaining)
	sortReports(res.Notes)
	sortReports(res.Before)
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
	if len(ps.failing) == 0 {
		return nil
	}
	lv := ps.lv()
	podOnly := ps.spec.DeepCopy()
	podOnly.Containers, podOnly.InitContainers, podOnly.EphemeralContainers = nil, nil, nil
	podLevel := map[policy.CheckID]Finding{}
	for _, f := range e.eval.Evaluate(lv, ps.meta, podOnly) {
		podLevel[f.ID] = f
	}
	var out []Report
	report := func(f Finding, at *yaml.Node, container string) {
		line, col := at.Line, at.Column
		msg := f.Reason
		if f.Detail != "" {
			msg += " (" + f.Detail + ")"
		}
		hint, fixer := Hint(f.ID, e.Opts.Fixers)
		if ps.spec.OS != nil && ps.spec.OS.Name == corev1.Windows && linuxOnly[f.ID] {
			hint = "a Windows pod cannot set this Linux-only field; Pod Security exempts Windows pods from this check from v1.25 (--version v1.25 or later)"
			fixer = ""
		}
		out = append(out, Report{Path: path, Line: line, Column: col, Object: ps.w.ID(), Container: container, Check: f.ID, Message: msg, Hint: hint, Fixer: fixer, Doc: ps.doc})
	}
	attributed := map[policy.CheckID]bool{}
	for _, f := range ps.failing {
		if pf, ok := podLevel[f.ID]; ok {
			report(pf, podField(ps.w, f.ID), "")
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
			report(f, firstKey(c.Node), c.C.Name)
			attributed[f.ID] = true
		}
	}
	for _, f := range ps.failing {
		if !attributed[f.ID] {
			report(f, firstKey(ps.w.Spec), "")
		}
	}
	return out
}

// linuxOnly are the restricted checks whose fix is a field the API server rejects on
// Windows pods.
var linuxOnly = map[policy.CheckID]bool{
	"allowPrivilegeEscalation": true, "capabilities_restricted": true,
	"seccompProfile_restricted": true, "runAsUser": true,
}

// firstKey returns the node a block mapping's position is best given by: its first key.
func firstKey(m *yaml.Node) *yaml.Node {
	if m.Kind == yaml.MappingNode && len(m.Content) > 0 {
		return m.Content[0]
	}
	return m
}

// podField points a pod-level finding at the field that causes it.
func podField(w *kio.Workload, id policy.CheckID) *yaml.Node {
	keys := map[policy.CheckID][]string{
		"hostNamespaces":    {"hostNetwork", "hostPID", "hostIPC"},
		"hostPathVolumes":   {"volumes"},
		"restrictedVolumes": {"volumes"},
		"sysctls":           {"securityContext"},
		"seLinuxOptions":    {"securityContext"},
		"appArmorProfile":   {"securityContext"},
		"runAsNonRoot":      {"securityContext"},
		"runAsUser":         {"securityContext"},
	}[id]
	for _, k := range keys {
		if kn, _ := kio.Lookup(w.Spec, k); kn != nil {
			return kn
		}
	}
	return firstKey(w.Spec)
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
