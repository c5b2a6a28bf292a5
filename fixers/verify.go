package fixers

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-cmp/cmp"
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// verify re-parses a fixed document and checks it against the original: it parses, it has
// the same comments, and it decodes to the same object except in the fields the fixers own.
// It returns what went wrong, or "".
func (e *Engine) verify(src *kio.Source, ds *docState) string {
	seg := ds.doc.Seg
	var docEdits []kio.Edit
	for _, ed := range ds.edits {
		docEdits = append(docEdits, kio.Edit{Start: ed.Start - seg.Start, End: ed.End - seg.Start, Text: ed.Text, Deletes: ed.Deletes})
	}
	before := src.Data[seg.Start:seg.End]
	after := kio.Apply(before, docEdits)
	// A document that starts on its "---" line splits in two on its own; compare counts.
	if len(kio.Split(after)) != len(kio.Split(before)) {
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
	return sameOutsideOwned(ds.doc, nd, nil, nil, e.Opts.AllWritablePaths(), deletedComments(src.Data, ds.edits))
}

// deletedComments are the comments of the entries the edits delete (kio.Edit.Deletes) that
// the edits do not keep: they go with their entries.
func deletedComments(data []byte, edits []kio.Edit) []string {
	var out []string
	for _, ed := range edits {
		if ed.Deletes {
			out = append(out, without(kio.Comments(data[ed.Start:ed.End]), kio.Comments([]byte(ed.Text)))...)
		}
	}
	return out
}

// verifyFinal checks a fixed document parsed from the new file.
func (e *Engine) verifyFinal(final *kio.Source, seg kio.Segment, ds *docState) string {
	nd, err := kio.ParseDocument(final, seg, ds.doc.Index)
	if err != nil {
		return "the result does not parse: " + err.Error()
	}
	if ds.doc.JSON && !json.Valid(final.Data[seg.Start:seg.End]) && json.Valid(ds.doc.Src.Data[ds.doc.Seg.Start:ds.doc.Seg.End]) {
		return "the result is no longer valid JSON"
	}
	var va any
	if nd.Root != nil {
		if va, err = kio.ToValue(nd.Root); err != nil {
			return "cannot decode the result: " + err.Error()
		}
	}
	// The re-check decodes the fixed pods from this value, before the comparison below
	// aligns it with the original.
	ds.finalPods = nil
	for _, w := range kio.FindWorkloads(nd) {
		ps := &podState{w: w, doc: ds.doc.Index, target: e.target(w)}
		ps.meta, ps.spec, ps.err = podOf(va, w)
		e.exemptRuntimeClass(ps)
		ds.finalPods = append(ds.finalPods, ps)
	}
	// The fields the fixers own are not compared below, so what the fixers wrote is checked
	// here: the pod still decodes (not a scalar run on into the next line), and it fails no
	// check it passed before (an anchor edited for one field changes its aliases too).
	for i, ps := range ds.finalPods {
		if i >= len(ds.workloads) || ds.workloads[i].err != nil {
			continue
		}
		if ps.err != nil {
			ds.finalPods = nil
			return "the fixed pod does not decode: " + ps.err.Error()
		}
		if f := unknownField(at(va, ps.w.Path)); f != "" && unknownField(at(ds.value, ds.workloads[i].w.Path)) == "" {
			// The original decoded strictly; the API server would reject the result.
			ds.finalPods = nil
			return fmt.Sprintf("the fix gives %s the field %s, which the API rejects (strict decoding)", ps.w.ID(), f)
		}
		ps.failing, ps.evaluated = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec), true
		for _, f := range ps.failing {
			if !failsCheck(ds.workloads[i].failing, f.ID) {
				ds.finalPods = nil
				return fmt.Sprintf("the fix makes %s fail %s: %s", ps.w.ID(), f.ID, f.Reason)
			}
		}
	}
	if bug := sameOutsideOwned(ds.doc, nd, ds.value, va, e.Opts.AllWritablePaths(), deletedComments(ds.doc.Src.Data, ds.edits)); bug != "" {
		ds.finalPods = nil
		return bug
	}
	ds.final = nd
	return ""
}

func failsCheck(fs []Finding, id policy.CheckID) bool {
	for _, f := range fs {
		if f.ID == id {
			return true
		}
	}
	return false
}

// SameOutsideOwned compares a document before and after a fix: same comments, and the same
// object once the fields the fixers own are set aside (securityContexts, the emptyDir volumes
// and mounts read-only-root adds at the writable paths, AppArmor annotations). It returns
// what differs, or "".
func SameOutsideOwned(before, after *kio.Document, writable []string) string {
	return sameOutsideOwned(before, after, nil, nil, writable, nil)
}

// without removes the comments gone (deleted with their entries) from the comments before a
// fix (sorted), once each.
func without(before, gone []string) []string {
	if len(gone) == 0 {
		return before
	}
	drop := map[string]int{}
	for _, c := range gone {
		drop[c]++
	}
	out := before[:0:0]
	for _, c := range before {
		if drop[c] > 0 {
			drop[c]--
			continue
		}
		out = append(out, c)
	}
	return out
}

// sameOutsideOwned is SameOutsideOwned with the original and the result already decoded
// (vb, va), when the caller has them. It changes va (see alignOwned) and never vb, which
// the caller keeps.
func sameOutsideOwned(before, after *kio.Document, vb, va any, writable, deleted []string) string {
	tb := before.Src.Data[before.Seg.Start:before.Seg.End]
	ta := after.Src.Data[after.Seg.Start:after.Seg.End]
	if cb, ca := without(kio.Comments(tb), deleted), kio.WithoutNewExplain(kio.Comments(tb), kio.Comments(ta)); !slices.Equal(cb, ca) {
		return "comments changed (-before +after):\n" + cmp.Diff(cb, ca)
	}
	if (before.Root == nil) != (after.Root == nil) {
		return "the document appeared or vanished"
	}
	if before.Root == nil {
		return ""
	}
	if vb == nil {
		var err error
		if vb, err = kio.ToValue(before.Root); err != nil {
			return "cannot decode the original: " + err.Error()
		}
	}
	if va == nil {
		var err error
		if va, err = kio.ToValue(after.Root); err != nil {
			return "cannot decode the result: " + err.Error()
		}
	}
	for _, w := range kio.FindWorkloads(before) {
		pb, pa := at(vb, w.Path), at(va, w.Path)
		if pb == nil || pa == nil {
			return "the pod template moved"
		}
		alignOwned(pb, pa, writable)
	}
	if !equal(vb, va) {
		// Only a failure pays for go-cmp's readable diff.
		return "a field outside the security fields changed (-before +after):\n" + cmp.Diff(vb, va)
	}
	return ""
}

// equal is reflect.DeepEqual for decoded values (maps, lists and comparable scalars; NaN is
// decoded as its text), at a fraction of the cost: the comparison runs on every fixed document.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	switch b.(type) {
	case map[string]any, []any:
		return false
	}
	return a == b
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

// alignOwned makes a pod template after a fix agree with the one before wherever the fixers
// may write, as they declare it (Fixer.Owns): each owned field takes its old value (or goes,
// where there was none; a securityContext that holds nothing else goes with it), owned
// annotations likewise, and the emptyDir volumes and mounts read-only-root adds are dropped.
// Whatever differs after that is a change psafix must not make. Only after changes: the
// original is the caller's, and copying it for every check would cost more than the check.
func alignOwned(before, after map[string]any, writable []string) {
	own := ownedFields()
	if aa := annotations(after); aa != nil {
		ab := annotations(before)
		for k := range aa {
			if own.annotation(k) {
				restore(ab, aa, k)
			}
		}
		for k := range ab {
			if own.annotation(k) {
				restore(ab, aa, k)
			}
		}
	}
	sb, _ := before["spec"].(map[string]any)
	sa, _ := after["spec"].(map[string]any)
	if sb == nil || sa == nil {
		return
	}
	for _, path := range own.pod {
		restorePath(sb, sa, path)
	}
	if own.mounts {
		dropAdded(sb, sa, "volumes", func(item map[string]any) bool {
			_, empty := item["emptyDir"]
			return len(item) == 2 && empty
		})
	}
	ContainerPairs(sb, sa, func(_ string, _ int, cb, ca map[string]any) {
		for _, path := range own.container {
			restorePath(cb, ca, path)
		}
		if own.mounts {
			dropAdded(cb, ca, "volumeMounts", func(item map[string]any) bool {
				mp, _ := item["mountPath"].(string)
				return len(item) == 2 && containsStr(writable, mp)
			})
		}
	})
}

// owned is what all the fixers own together, paths split into keys.
type owned struct {
	pod, container [][]string
	annotations    []string
	mounts         bool
}

// ownedFields collects the fixers' declarations once.
var ownedFields = sync.OnceValue(func() *owned {
	o := &owned{}
	for _, f := range All {
		for _, p := range f.Owns.Pod {
			o.pod = append(o.pod, strings.Split(p, "."))
		}
		for _, p := range f.Owns.Container {
			o.container = append(o.container, strings.Split(p, "."))
		}
		o.annotations = append(o.annotations, f.Owns.Annotations...)
		o.mounts = o.mounts || f.Owns.Mounts
	}
	return o
})

func (o *owned) annotation(k string) bool {
	for _, p := range o.annotations {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// restorePath sets the field at path in after back to its value in before (see restore). A
// mapping on the way that the fixers created and that holds nothing else once the field is
// restored goes too (or becomes the null it was).
func restorePath(before, after map[string]any, path []string) {
	k := path[0]
	if len(path) == 1 {
		restore(before, after, k)
		return
	}
	ma, ok := after[k].(map[string]any)
	if !ok {
		return
	}
	mb, _ := before[k].(map[string]any)
	restorePath(mb, ma, path[1:])
	if len(ma) == 0 && mb == nil {
		restore(before, after, k)
	}
}

// restore sets after[key] back to before[key], or removes it when before has no such key
// (or is nil).
func restore(before, after map[string]any, key string) {
	if v, ok := before[key]; ok {
		after[key] = v
	} else {
		delete(after, key)
	}
}

func annotations(tmpl map[string]any) map[string]any {
	meta, _ := tmpl["metadata"].(map[string]any)
	ann, _ := meta["annotations"].(map[string]any)
	return ann
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
		if equal(x, v) {
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
