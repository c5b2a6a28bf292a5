package rollout

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/psafix/psafix/kio"
)

// LabelChange is one label psafix sets on a Namespace manifest.
type LabelChange struct {
	Label
	// Old is the value the label had, when Had.
	Old string
	Had bool
}

// ManifestChanges are the labels set on one Namespace manifest.
type ManifestChanges struct {
	Manifest *Manifest
	Changes  []LabelChange
}

// LabelFile sets the planned labels (by namespace name) on the Namespace objects of a file with the editor,
// so that only label lines change, and checks the result: it parses, has the same
// comments, and is the same object but for the pod-security labels. It returns the new
// bytes (the old ones when nothing changes) and the changes by manifest.
func LabelFile(path string, data []byte, plans map[string][]Label) ([]byte, []ManifestChanges, error) {
	src, docs, err := kio.ParseFile(path, data)
	if err != nil {
		return data, nil, err
	}
	var all []kio.Edit
	var out []ManifestChanges
	for _, d := range docs {
		if d.Root == nil {
			continue
		}
		ed := kio.NewEditor(d)
		for _, obj := range NamespaceObjects(d.Root) {
			name := kio.ScalarAt(obj, "metadata", "name")
			if name == "" {
				continue
			}
			mc := ManifestChanges{Manifest: &Manifest{Name: name, Path: path, Line: obj.Line}}
			plan := plans[name]
			if plan == nil {
				continue
			}
			for _, l := range plan {
				cur := kio.LookupPath(obj, "metadata", "labels", l.Key)
				if kio.ScalarIs(cur, kio.Str(l.Value)) {
					continue
				}
				ch := LabelChange{Label: l}
				if cur != nil {
					ch.Had, ch.Old = true, cur.Value
				}
				mc.Changes = append(mc.Changes, ch)
				ed.Set(obj, []string{"metadata", "labels", l.Key}, kio.Str(l.Value))
			}
			out = append(out, mc)
		}
		if ed.Empty() {
			continue
		}
		edits, err := ed.Edits()
		if err != nil {
			return data, out, fmt.Errorf("%s:%d: psafix cannot edit this Namespace safely, left unchanged: %v", path, d.Seg.Line, err)
		}
		all = append(all, edits...)
	}
	if len(all) == 0 {
		return data, out, nil
	}
	res, err := kio.ApplyEdits(src, all)
	if err != nil {
		return data, out, fmt.Errorf("%s: psafix bug: %v", path, err)
	}
	if why := sameButLabels(src, kio.NewSource(res)); why != "" {
		return data, out, fmt.Errorf("%s: psafix bug: the labels did not verify, file left unchanged: %s", path, why)
	}
	return res, out, nil
}

// sameButLabels compares a file before and after labelling: same documents, same comments,
// same objects once the pod-security labels of Namespaces are set aside. It returns what
// differs, or "".
func sameButLabels(before, after *kio.Source) string {
	if !reflect.DeepEqual(kio.Comments(before.Data), kio.Comments(after.Data)) {
		return "comments changed"
	}
	sb, sa := kio.Split(before.Data), kio.Split(after.Data)
	if len(sb) != len(sa) {
		return "the number of documents changed"
	}
	for i := range sb {
		db, err := kio.ParseDocument(before, sb[i], i)
		if err != nil {
			return err.Error()
		}
		da, err := kio.ParseDocument(after, sa[i], i)
		if err != nil {
			return fmt.Sprintf("document %d does not parse: %v", i+1, err)
		}
		if (db.Root == nil) != (da.Root == nil) {
			return "a document appeared or vanished"
		}
		if db.Root == nil {
			continue
		}
		vb, err := kio.ToValue(db.Root)
		if err != nil {
			return err.Error()
		}
		va, err := kio.ToValue(da.Root)
		if err != nil {
			return err.Error()
		}
		maskPSALabels(vb)
		maskPSALabels(va)
		if !reflect.DeepEqual(vb, va) {
			return fmt.Sprintf("document %d changed outside the pod-security labels", i+1)
		}
	}
	return ""
}

// maskPSALabels removes the pod-security labels of Namespace objects (and an emptied
// labels mapping) from a decoded document.
func maskPSALabels(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if items, ok := m["items"].([]any); ok {
		for _, it := range items {
			maskPSALabels(it)
		}
	}
	if m["kind"] != "Namespace" {
		return
	}
	meta, ok := m["metadata"].(map[string]any)
	if !ok {
		return
	}
	labels, _ := meta["labels"].(map[string]any)
	for k := range labels {
		if strings.HasPrefix(k, LabelPrefix) {
			delete(labels, k)
		}
	}
	if l, present := meta["labels"]; present && (l == nil || len(labels) == 0) {
		delete(meta, "labels")
	}
}
