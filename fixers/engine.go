package fixers

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Result is what psafix did to one file.
type Result struct {
	Path string
	// Old is the file as read; New is the fixed file, nil when nothing changed.
	Old, New []byte
	// Workloads counts pod specs found; Fixed those that got a change.
	Workloads, Fixed int
	// Remaining are the violations left at the target level after fixing.
	Remaining []Report
	// Warnings are the violations left at Options.WarnLevel that the target level allows.
	Warnings []Report
	// Notes tell about fixes the user should know of (a removed capability...).
	Notes []Report
	// Err is set when the file was not processed at all (invalid YAML, a template); the
	// file is then never written.
	Err error
	// Errors are the workloads whose pod template the API server cannot decode (a list
	// where a mapping belongs, a string where an integer does), each located at the value's
	// key. A file with any is left as it is: New is nil, and the reports are those of the
	// file as it is.
	Errors []*kio.Error
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
	// Changes are the changes New makes, each with its fixer, workload, container and field,
	// in the order the fixers made them (by document, workload and fixer). The changes of a
	// document left as it was are not here.
	Changes []*Change
	// Final are the fixed documents as the verification parsed them from New, by document
	// index, nil for a document left as it was; only FixFileDocuments sets it, for a caller
	// that hands the fixed objects on rather than bytes (the KRM function), so that nothing
	// parses New again. A caller may take the nodes: the engine is done with them.
	Final []*kio.Document
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
	// The object's annotations, then its pod template's (where authors also put them: a
	// Deployment's spec.template.metadata.annotations).
	_, meta := kio.Lookup(w.Object, "metadata")
	metas := []*yaml.Node{meta}
	if w.Template != w.Object {
		metas = append(metas, w.PodMeta())
	}
	for i, meta := range metas {
		if x := annotationExemption(stringAnnotations(meta)); x != nil {
			if i == 1 {
				x.From = "pod template " + x.From
			}
			return x
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

// objectOptions are the options of one object: the engine's, with the settings the
// config gives the object (SettingsFor) in place of RunAsUser and WritablePaths.
func (e *Engine) objectOptions(w *kio.Workload) *Options {
	if e.Opts.SettingsFor == nil {
		return e.Opts
	}
	ns := w.Namespace
	if ns == "" {
		ns = e.Opts.DefaultNamespace
	}
	s := e.Opts.SettingsFor(w.Kind, ns, w.Name)
	if s == nil {
		return e.Opts
	}
	o := *e.Opts
	if s.SetRunAsUser {
		o.RunAsUser = s.RunAsUser
	}
	if s.WritablePaths != nil {
		o.WritablePaths, o.WritablePathsFrom = s.WritablePaths, s.From
	}
	return &o
}

// stringAnnotations are the annotations of a metadata mapping with string values.
func stringAnnotations(meta *yaml.Node) map[string]string {
	if meta == nil {
		return nil
	}
	_, ann := kio.Lookup(meta, "annotations")
	if ann == nil {
		return nil
	}
	v, err := kio.ToValue(ann)
	if err != nil {
		return nil
	}
	m, _ := v.(map[string]any)
	strs := map[string]string{}
	for k, x := range m {
		if s, ok := x.(string); ok {
			strs[k] = s
		}
	}
	return strs
}

// FileError is a file psafix could not process, located at a line where known.
type FileError struct {
	Path string
	Line int
	Msg  string
	// Skip marks a file psafix leaves alone on purpose (a template), not an error: it is
	// told about, and the exit code does not count it.
	Skip bool
}

// Error is PATH:LINE: message, as kio.Error writes it.
func (e *FileError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the location as a kio.Error, for errors.As.
func (e *FileError) Unwrap() error { return &kio.Error{Path: e.Path, Line: e.Line, Msg: e.Msg} }

// FileErrorOf is the FileError in err (Result.Err), or one with err's message and no line:
// what every face reads to tell a skipped file from a failed one, and where.
func FileErrorOf(err error) *FileError {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe
	}
	return &FileError{Msg: err.Error()}
}

var (
	// helmAction is a {{ }} action that uses Helm's objects or functions: what makes a file a
	// Helm template. Other actions in valid YAML (a log format, a Go template handed to a
	// program, Argo's "{{inputs.parameters.x}}", Prometheus's "{{ $labels.pod }}") are data.
	helmAction     = regexp.MustCompile(`\{\{[^}]*?(?:\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|\b(?:include|tpl|toYaml|required)\b)`)
	templateMarker = regexp.MustCompile(`\{\{|\{%`)
)

// docState is one document during a fix.
type docState struct {
	doc       *kio.Document
	value     any // the document decoded, from the parse stage
	workloads []*podState
	edits     []kio.Edit
	final     *kio.Document // the fixed document, parsed in the new file's coordinates
	finalPods []*podState   // its workloads, decoded
	// editNotes are the indexes in Result.Notes of the notes about this document's edits
	// (what a fixer did or kept, an anchor edited); they go when the document is refused.
	editNotes []int
	changes   []*Change // what the fixers changed in this document
	refused   bool      // the edits were dropped: the document is left as it was
	// ws are the document's workloads and pods their pod templates decoded (decode).
	ws   []*kio.Workload
	pods []decoded
	// checkOnly: some workload of the file does not decode, so nothing is fixed.
	checkOnly bool
}

// decoded is a workload's pod template, decoded as the API server would, or why not.
type decoded struct {
	meta *metav1.ObjectMeta
	spec *corev1.PodSpec
	err  error
}

// decode finds the document's workloads and decodes their pod templates; it returns an
// error, located at the offending value, for each that does not decode.
func (e *Engine) decode(path string, ds *docState) []*kio.Error {
	ds.ws = kio.FindWorkloads(ds.doc)
	ds.pods = make([]decoded, len(ds.ws))
	var errs []*kio.Error
	for i, w := range ds.ws {
		p := &ds.pods[i]
		if p.meta, p.spec, p.err = podOf(ds.value, w); p.err != nil {
			errs = append(errs, decodeError(path, w, p.err))
		}
	}
	return errs
}

type podState struct {
	w       *kio.Workload
	meta    *metav1.ObjectMeta
	spec    *corev1.PodSpec
	failing []Finding
	// evaluated: failing holds the evaluation of this pod (the verification evaluates the
	// fixed pods, and the report reuses it)
	evaluated bool
	changed   bool
	err       error
	doc       int                // index of the document in the file
	before    []Report           // the violations before fixing, located in the original
	passes    map[api.Level]bool // levels passed before fixing
	target    Target
	exempt    *Exemption
	// declined says why the risky edits were not made (Pod.CanHarden), or "".
	declined string
	accept   *Acceptance // violations the object accepts (psafix.dev/accept)
}

// exemptRuntimeClass leaves a pod alone when the API server's admission config exempts its
// runtime class (Options.ExemptRuntimeClass): PSA never checks it.
func (e *Engine) exemptRuntimeClass(ps *podState) {
	if e.Opts.ExemptRuntimeClass == nil || ps.spec == nil || ps.spec.RuntimeClassName == nil || ps.target.Outside {
		return
	}
	if from := e.Opts.ExemptRuntimeClass(*ps.spec.RuntimeClassName); from != "" {
		ps.target = Target{Level: api.LevelPrivileged, Version: api.LatestVersion(), From: from, Exempt: true}
	}
}

// FixFile fixes one file's bytes. It never returns partial edits: a document whose fix does
// not verify is left exactly as it was.
func (e *Engine) FixFile(path string, data []byte) *Result {
	res := &Result{Path: path, Old: data}
	e.fix(res, len(data)+1, false, nil)
	return res
}

// FixFileDocuments is FixFile that also hands over the fixed documents (Result.Final), parsed
// once, as the verification needs them anyway.
func (e *Engine) FixFileDocuments(path string, data []byte) *Result {
	res := &Result{Path: path, Old: data}
	e.fix(res, len(data)+1, true, nil)
	return res
}

// PartBytes is about how many bytes of documents FixFileParts fixes at a time.
const PartBytes = 256 << 10

// FixFileParts is FixFile for a large file of many documents: it fixes them in parts of about
// PartBytes and hands each part's reports, pod summaries, changes and edits to each as soon
// as the part is done (positions are those of the whole file, as FixFile gives them), so that
// what is held at a time is one part, not the whole file: a 10 MiB file of small documents
// would otherwise hold every document's tree and report at once. The Result it returns has
// the file (Old, New), Err, Errors, Workloads and Fixed; its other lists are empty. When the
// file cannot be processed (Err), no part is handed over: every document is parsed first;
// when a workload does not decode (Errors), every part is reported as it is.
func (e *Engine) FixFileParts(path string, data []byte, each func(part *Result)) *Result {
	res := &Result{Path: path, Old: data}
	e.fix(res, PartBytes, false, each)
	return res
}

// fix fixes res.Old in parts of about partBytes of documents; each, when set, receives each
// part's result, else res collects them all; keep keeps the fixed documents (Result.Final).
func (e *Engine) fix(res *Result, partBytes int, keep bool, each func(*Result)) {
	src := kio.NewSource(res.Old)
	segs := kio.Split(src.Data)
	parts := cutParts(segs, partBytes)
	if len(parts) > 1 {
		// Any invalid document makes the whole file an error, and any workload that does not
		// decode leaves the file as it is: find them before a part is handed over.
		for _, p := range parts {
			docs, err := e.parse(res.Path, src, segs, p[0], p[1])
			if err != nil {
				res.Err = err
				return
			}
			for _, ds := range docs {
				res.Errors = append(res.Errors, e.decode(res.Path, ds)...)
			}
		}
	}
	// cur is the file with the verified edits of the parts before; delta is how far they
	// moved what follows them (every edit of a part comes after the parts before it).
	cur, delta, changed := src, 0, false
	for _, p := range parts {
		part := res
		if each != nil {
			part = &Result{Path: res.Path}
		}
		docs, err := e.parse(res.Path, src, segs, p[0], p[1])
		if err != nil {
			res.Err = err
			return
		}
		for _, ds := range docs {
			if errs := e.decode(res.Path, ds); len(parts) == 1 {
				res.Errors = append(res.Errors, errs...)
			}
		}
		for _, ds := range docs {
			ds.checkOnly = len(res.Errors) > 0
			e.fixDocument(part, ds)
		}
		if next, moved := e.applyVerified(part, src, docs, cur, delta, len(segs)); next != nil {
			cur, delta, changed = next, delta+moved, true
		}
		dropRefusedNotes(part, docs)
		for _, ds := range docs {
			if !ds.refused {
				part.Changes = append(part.Changes, ds.changes...)
			}
			if keep && ds.final != nil {
				if part.Final == nil {
					part.Final = make([]*kio.Document, len(segs))
				}
				part.Final[ds.doc.Index] = ds.final
			}
		}
		e.remaining(part, docs)
		if each != nil {
			res.Workloads += part.Workloads
			res.Fixed += part.Fixed
			each(part)
		}
	}
	if changed {
		res.New = cur.Bytes() // with the file's BOM
	}
}

// cutParts groups the documents into runs of about partBytes each, as [from, to) indexes.
func cutParts(segs []kio.Segment, partBytes int) [][2]int {
	var parts [][2]int
	from := 0
	for i := range segs {
		if i > from && segs[i].End-segs[from].Start > partBytes {
			parts = append(parts, [2]int{from, i})
			from = i
		}
	}
	return append(parts, [2]int{from, len(segs)})
}

// dropRefusedNotes removes the notes about the edits of documents left unchanged: they would
// describe changes that were not made.
func dropRefusedNotes(res *Result, docs []*docState) {
	drop := map[int]bool{}
	for _, ds := range docs {
		if ds.refused {
			for _, i := range ds.editNotes {
				drop[i] = true
			}
		}
	}
	if len(drop) == 0 {
		return
	}
	kept := res.Notes[:0]
	for i, n := range res.Notes {
		if !drop[i] {
			kept = append(kept, n)
		}
	}
	res.Notes = kept
}

// applyVerified applies every document's edits at once, parses each fixed document once, in
// the coordinates of the new file (so the same parse serves the report), and verifies it
// against the original. A document that fails is reported as a psafix bug and its edits
// dropped, and the rest applied again: a failure costs only that document. cur is the file
// with the edits of the documents before docs, which moved what follows by delta; it returns
// the file with docs' edits too, and how far they moved what follows (nil when docs have
// none).
func (e *Engine) applyVerified(res *Result, src *kio.Source, docs []*docState, cur *kio.Source, delta, nsegs int) (*kio.Source, int) {
	for {
		var all []kio.Edit
		moved := 0
		for _, ds := range docs {
			for _, ed := range ds.edits {
				moved += len(ed.Text) - (ed.End - ed.Start)
				ed.Start, ed.End = ed.Start+delta, ed.End+delta
				all = append(all, ed)
			}
		}
		if len(all) == 0 {
			return nil, 0
		}
		// The edits lie between the first's start and the last's end: only that region is
		// rebuilt, into a buffer of the exact size (the file is large when it comes in parts).
		from, to := all[0].Start, all[len(all)-1].End
		for i := range all {
			all[i].Start, all[i].End = all[i].Start-from, all[i].End-from
		}
		next := make([]byte, 0, len(cur.Data)+moved)
		next = append(next, cur.Data[:from]...)
		next = append(next, kio.Apply(cur.Data[from:to], all)...)
		next = append(next, cur.Data[to:]...)
		final := kio.NewSource(next)
		final.BOM = src.BOM // next is the file past its BOM
		segs := kio.Split(final.Data)
		failed := false
		for _, ds := range docs {
			if len(ds.edits) == 0 {
				continue
			}
			var bug string
			if len(segs) != nsegs {
				// Some edit created a separator; find which, the slow way.
				bug = e.verify(src, ds)
			} else {
				bug = e.verifyFinal(final, segs[ds.doc.Index], ds)
			}
			if bug != "" {
				res.Bugs = append(res.Bugs, Report{Path: res.Path, Line: ds.doc.Seg.Line, Object: "document", Message: "psafix bug: the fix did not verify, document left unchanged: " + bug})
				ds.edits, ds.final, ds.finalPods, ds.refused = nil, nil, nil, true
				for _, w := range ds.workloads {
					w.changed = false
				}
				failed = true
			}
		}
		if failed {
			continue
		}
		for _, ds := range docs {
			for _, ed := range ds.edits {
				if src.BOM {
					ed.Start, ed.End = ed.Start+len(kio.BOM), ed.End+len(kio.BOM)
				}
				if res.Edits == nil {
					res.Edits = map[int][]kio.Edit{}
				}
				res.Edits[ds.doc.Index] = append(res.Edits[ds.doc.Index], ed)
			}
		}
		return final, moved
	}
}

// parse splits and parses a file; any invalid document makes the whole file an error, as a
// half-understood file is not one to edit.
func (e *Engine) parse(path string, src *kio.Source, segs []kio.Segment, from, to int) ([]*docState, error) {
	var docs []*docState
	for i := from; i < to; i++ {
		d, err := kio.ParseAt(path, src, segs[i], i)
		if err != nil {
			var ke *kio.Error
			errors.As(err, &ke) // ParseAt's errors are all one
			if templateMarker.Match(src.Data) {
				return nil, &FileError{Path: path, Line: ke.Line, Skip: true, Msg: "a template ({{ }} or {% %}), not YAML: skipped; run psafix on its chart's folder, or on the rendered manifests (helm template CHART | psafix)"}
			}
			return nil, &FileError{Path: path, Line: ke.Line, Msg: ke.Msg}
		}
		var value any
		if d.Root != nil {
			// Decoding finds what kubectl would refuse: duplicate keys, alias bombs.
			if value, err = kio.ToValue(d.Root); err != nil {
				line, msg := d.Seg.Line, err.Error()
				var le *kio.LineError
				if errors.As(err, &le) {
					line, msg = le.Line, le.Msg
				}
				return nil, &FileError{Path: path, Line: line, Msg: msg + ": file left untouched"}
			}
		}
		if line := helmTemplateLine(d); line > 0 && len(kio.FindWorkloads(d)) > 0 {
			return nil, &FileError{Path: path, Line: line, Skip: true, Msg: "a Helm template (a {{ }} action using Helm's objects, outside quotes): skipped; run psafix on its chart's folder, or on the rendered manifests (helm template CHART | psafix)"}
		}
		docs = append(docs, &docState{doc: d, value: value})
	}
	return docs, nil
}

// helmTemplateLine finds a {{ }} action that uses Helm's objects or functions, written where
// YAML sees plain text, or a "{{ .Values.x }}" that YAML took for a mapping used as a key:
// valid YAML by accident, but a Helm template all the same. Actions inside quoted strings or
// block scalars are data (scripts, dashboards, a test pod's 'http://x:{{ .Values.port }}'),
// and so are actions that use none of Helm's objects (a log format, Argo's
// "{{inputs.parameters.x}}") and documents psafix does not edit (a PrometheusRule's
// "{{ $labels.device }}").
func helmTemplateLine(d *kio.Document) int {
	if d.Root == nil {
		return 0
	}
	found := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if found > 0 {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 &&
			strings.Contains(n.Value, "{{") && helmAction.MatchString(n.Value) {
			found = n.Line
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Kind == yaml.MappingNode && k.Style&yaml.FlowStyle != 0 && len(k.Content) > 0 {
					if inner := k.Content[0]; inner.Kind == yaml.ScalarNode && helmAction.MatchString("{{"+inner.Value) {
						found = k.Line
					}
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
	ws := ds.ws
	if len(ws) == 0 {
		return
	}
	ed := kio.NewEditor(ds.doc)
	for i, w := range ws {
		ps := &podState{w: w, doc: ds.doc.Index, target: e.target(w), exempt: e.exemption(w), accept: e.acceptance(w)}
		if ps.accept != nil && len(ps.accept.Unknown) > 0 {
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: w.Object.Line, Column: w.Object.Column, Object: w.ID(), Note: true, Message: ps.accept.unknownNote(), Doc: ds.doc.Index, Field: specPath(w)})
		}
		ds.workloads = append(ds.workloads, ps)
		res.Workloads++
		ps.meta, ps.spec, ps.err = ds.pods[i].meta, ds.pods[i].spec, ds.pods[i].err
		if ps.err != nil {
			continue
		}
		e.exemptRuntimeClass(ps)
		ps.failing = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec)
		ps.before = e.attribute(res.Path, ps)
		ps.passes = e.passes(ps)
		if ps.target.Level == api.LevelPrivileged {
			msg := "left alone: its namespace is privileged (" + ps.target.From + ")"
			if ps.target.Exempt {
				msg = "left alone: " + ps.target.From + "; Pod Security Admission never checks its pods"
			}
			if !ps.target.Outside {
				res.Notes = append(res.Notes, Report{Path: res.Path, Line: w.Object.Line, Column: w.Object.Column, Object: w.ID(), Note: true,
					Message: msg, Doc: ds.doc.Index, Field: specPath(w)})
			}
			continue
		}
		if ds.checkOnly {
			ps.declined = "a workload in this file does not decode (see its error), so psafix leaves the file as it is"
			continue
		}
		if x := ps.exempt; x != nil {
			which := "all fixers"
			if len(x.Fixers) > 0 {
				which = "fixers " + strings.Join(x.Fixers, ", ")
			}
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: w.Object.Line, Column: w.Object.Column, Object: w.ID(), Note: true,
				Message: fmt.Sprintf("exempt from %s: %s (%s)", which, x.Reason, x.From), Doc: ds.doc.Index, Field: specPath(w)})
		}
		p := NewPod(w, ps.meta, ps.spec, ed, e.objectOptions(w))
		p.Target, p.Exempt, p.doc = ps.target, ps.exempt, ds.doc.Index
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
			p.fixer = f
			f.Fix(p)
		}
		p.fixer = nil
		ps.declined = p.declineReason()
		ps.changed = ed.Changes() != before
		ds.changes = append(ds.changes, p.changes...)
		for _, n := range p.Notes {
			ds.editNotes = append(ds.editNotes, len(res.Notes))
			res.Notes = append(res.Notes, Report{Path: res.Path, Line: n.Line, Column: n.Column, Object: w.ID(), Container: n.Container, Message: n.Message, Fixer: n.Fixer, Note: true, Field: n.Field, Doc: ds.doc.Index})
		}
	}
	for _, a := range ed.Anchored() {
		ds.editNotes = append(ds.editNotes, len(res.Notes))
		res.Notes = append(res.Notes, Report{Path: res.Path, Line: ds.doc.Seg.Line, Column: 1, Object: "document", Note: true,
			Message: "edited the anchor " + a + ": every alias of it gets the same change"})
	}
	edits, err := ed.Edits()
	if err != nil {
		res.Bugs = append(res.Bugs, Report{Path: res.Path, Line: ds.doc.Seg.Line, Object: "document", Message: "psafix cannot edit this document safely, left unchanged: " + err.Error()})
		for _, w := range ds.workloads {
			w.changed = false
		}
		ds.refused = true
		return
	}
	ds.edits = e.explain(res, ds, edits)
}

// explain adds, with Options.Explain, the assumption of each risky change of the document as
// a trailing comment on the line it writes (see kio.Explain). A JSON document has no
// comments: it gets one note saying so.
func (e *Engine) explain(res *Result, ds *docState, edits []kio.Edit) []kio.Edit {
	if !e.Opts.Explain {
		return edits
	}
	var notes []kio.LineNote
	for _, c := range ds.changes {
		if c.Risky && c.Assumption != "" && c.Op != OpRemove {
			notes = append(notes, kio.LineNote{Field: c.Field, Text: c.Assumption})
		}
	}
	if len(notes) == 0 {
		return edits
	}
	if ds.doc.JSON {
		ds.editNotes = append(ds.editNotes, len(res.Notes))
		res.Notes = append(res.Notes, Report{Path: res.Path, Line: ds.doc.Seg.Line, Column: 1, Object: "document", Note: true, Doc: ds.doc.Index,
			Message: "--explain: JSON has no comments, so the assumptions of the risky edits are in these notes only"})
		return edits
	}
	out, _ := kio.Explain(ds.doc.Src, ds.doc.Index, edits, notes)
	return out
}

// DecodePod decodes a workload's pod template into the typed objects PSA checks.
func DecodePod(w *kio.Workload) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	v, err := kio.ToValue(w.Template)
	if err != nil {
		return nil, nil, fmt.Errorf("pod template: %w", err)
	}
	tmpl, _ := v.(map[string]any)
	return decodePod(tmpl)
}

// decodePod decodes a pod template already decoded to values (from the document's value,
// at the workload's Path).
func decodePod(tmpl map[string]any) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	meta := &metav1.ObjectMeta{}
	if err := decodeInto(tmpl["metadata"], meta); err != nil {
		return nil, nil, fmt.Errorf("pod metadata: %w", err)
	}
	spec := &corev1.PodSpec{}
	if err := decodeInto(tmpl["spec"], spec); err != nil {
		return nil, nil, fmt.Errorf("pod spec: %w", err)
	}
	defaultPodSpec(spec)
	return meta, spec, nil
}

// podOf decodes workload w of a document whose value is v.
func podOf(v any, w *kio.Workload) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	if tmpl := at(v, w.Path); tmpl != nil {
		return decodePod(tmpl)
	}
	return DecodePod(w)
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

// decodeInto decodes v into out as the API server would decode its JSON.
func decodeInto(v any, out any) error {
	if v == nil {
		return nil
	}
	if decodeTyped(v, out) == nil {
		return nil
	}
	// The direct path gave up (a type it does not place exactly like encoding/json, or an
	// error): start over through JSON, which also words the error.
	reflect.ValueOf(out).Elem().SetZero()
	// Through JSON, as the API server decodes: runtime.DefaultUnstructuredConverter
	// accepts containerPort: "80" and value: true, which the API server rejects, and
	// psafix must report such manifests, not fix them.
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
