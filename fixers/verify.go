package fixers

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/psafix/psafix/kio"
)

// verify re-parses a fixed document and checks it against the original: it parses, it has
// the same comments, and it decodes to the same object except in the fields the fixers own.
// It returns what went wrong, or "".
func (e *Engine) verify(src *kio.Source, ds *docState) string {
	seg := ds.doc.Seg
	var docEdits []kio.Edit
	for _, ed := range ds.edits {
		docEdits = append(docEdits, kio.Edit{Start: ed.Start - seg.Start, End: ed.End - seg.Start, Text: ed.Text})
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
	return SameOutsideOwned(ds.doc, nd, e.Opts.WritablePaths)
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
	// masks it.
	ds.finalPods = nil
	for _, w := range kio.FindWorkloads(nd) {
		ps := &podState{w: w, doc: ds.doc.Index, target: e.target(w)}
		ps.meta, ps.spec, ps.err = podOf(va, w)
		ds.finalPods = append(ds.finalPods, ps)
	}
	if bug := sameOutsideOwned(ds.doc, nd, ds.value, va, e.Opts.WritablePaths); bug != "" {
		ds.finalPods = nil
		return bug
	}
	ds.final = nd
	return ""
}

// SameOutsideOwned compares a document before and after a fix: same comments, and the same
// object once the fields the fixers own are masked (securityContexts, the emptyDir volumes
// and mounts read-only-root adds at the writable paths, AppArmor annotations). It returns
// what differs, or "".
func SameOutsideOwned(before, after *kio.Document, writable []string) string {
	return sameOutsideOwned(before, after, nil, nil, writable)
}

// sameOutsideOwned is SameOutsideOwned with the original and the result already decoded
// (vb, va), when the caller has them. It masks va in place.
func sameOutsideOwned(before, after *kio.Document, vb, va any, writable []string) string {
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
	if vb == nil {
		var err error
		if vb, err = kio.ToValue(before.Root); err != nil {
			return "cannot decode the original: " + err.Error()
		}
	}
	// The masks below change the values: work on a copy of a cached original.
	vb = deepCopy(vb)
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
		maskOwned(pb, pa, writable)
	}
	if !reflect.DeepEqual(vb, va) {
		// Only a failure pays for go-cmp's readable diff.
		return "a field outside the security fields changed (-before +after):\n" + cmp.Diff(vb, va)
	}
	return ""
}

// deepCopy copies decoded values (maps and slices; scalars are immutable).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
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
