package kio

import (
	"errors"
	"testing"
)

func TestHelpers(t *testing.T) {
	data := "\ufeffapiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {name: a}\n  - apiVersion: v1\n    kind: NamespaceList\n    items: [{apiVersion: v1, kind: Namespace, metadata: {name: b}}]\n---\nkind: Pod\nmetadata: &m {name: c}\nother: *m\n"
	src, docs, err := ParseFile("x.yaml", []byte(data))
	if err != nil || len(docs) != 2 {
		t.Fatalf("%d documents, %v", len(docs), err)
	}
	var names []string
	for _, d := range docs {
		for _, o := range Objects(d.Root) {
			names = append(names, ScalarAt(o, "metadata", "name"))
		}
	}
	if len(names) != 3 || names[0] != "a" || names[1] != "b" || names[2] != "c" {
		t.Errorf("objects: %v", names)
	}
	if got := ScalarAt(docs[1].Root, "other", "name"); got != "c" {
		t.Errorf("through an alias: %q", got)
	}
	if LookupPath(docs[1].Root, "metadata", "labels", "x") != nil {
		t.Errorf("a missing path is found")
	}
	ed := NewEditor(docs[1])
	ed.Set(docs[1].Root, []string{"spec", "hostNetwork"}, Str("z"))
	edits, err := ed.Edits()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ApplyEdits(src, edits)
	if err != nil || string(out[:3]) != "\ufeff" {
		t.Errorf("BOM lost (%v): %q", err, out)
	}
	_, _, err = ParseFile("bad.yaml", []byte("a: [\n"))
	var e *Error
	if !errors.As(err, &e) || e.Path != "bad.yaml" || e.Line == 0 {
		t.Errorf("got %v", err)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 files", 1: "1 file", 2: "2 files", 1000: "1000 files"} {
		if got := Count(n, "file", "files"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDocuments(t *testing.T) {
	data := "# only a comment\n---\nkind: A\n---\na: [\n---\nkind: B\n"
	var kinds []string
	for d := range Documents([]byte(data)) {
		kinds = append(kinds, ScalarAt(d.Root, "kind"))
	}
	if len(kinds) != 2 || kinds[0] != "A" || kinds[1] != "B" {
		t.Errorf("documents that parse: %v", kinds)
	}
	for range Documents([]byte(data)) {
		break // stopping early is allowed
	}
	src := NewSource([]byte(data))
	segs := Split(src.Data)
	if _, err := ParseAt("f.yaml", src, segs[2], 2); err == nil || err.Error() == "" {
		t.Errorf("ParseAt of an invalid document: %v", err)
	} else if e := (*Error)(nil); !errors.As(err, &e) || e.Path != "f.yaml" || e.Line != 5 {
		t.Errorf("ParseAt: %#v", err)
	}
}

func TestDocumentComments(t *testing.T) {
	_, docs, err := ParseFile("c.yaml", []byte("# head\n\nkind: A\n\n# foot\n"))
	if err != nil || len(docs) != 1 {
		t.Fatal(err)
	}
	if d := docs[0]; d.HeadComment != "# head" || d.FootComment != "# foot" {
		t.Errorf("document comments: %q, %q", d.HeadComment, d.FootComment)
	}
}
