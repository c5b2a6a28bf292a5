package kio

import "testing"

// explainOnce parses in, records sets with e, and returns the file with the notes written.
func explainOnce(t *testing.T, in string, set func(d *Document, e *Editor), notes ...LineNote) (string, int) {
	t.Helper()
	src := NewSource([]byte(in))
	d, err := ParseDocument(src, Split(src.Data)[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEditor(d)
	set(d, e)
	edits, err := e.Edits()
	if err != nil {
		t.Fatal(err)
	}
	out, skipped := Explain(src, 0, edits, notes)
	return string(Apply(src.Data, out)), skipped
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		path     []string
		v        Value
		field    string
		want     string
		skipped  int
	}{
		{"inserted line", "spec:\n  a: 1\n", []string{"spec", "b"}, Int(2), "spec.b",
			"spec:\n  a: 1\n  b: 2 # psafix: why\n", 0},
		{"replaced value", "spec:\n  a: 1\n  c: x\n", []string{"spec", "a"}, Int(2), "spec.a",
			"spec:\n  a: 2 # psafix: why\n  c: x\n", 0},
		{"crlf", "spec:\r\n  a: 1\r\n", []string{"spec", "b"}, Int(2), "spec.b",
			"spec:\r\n  a: 1\r\n  b: 2 # psafix: why\r\n", 0},
		{"line with a comment keeps it alone", "spec:\n  a: 1 # mine\n", []string{"spec", "a"}, Int(2), "spec.a",
			"spec:\n  a: 2 # mine\n", 1},
		{"flow, value mid-line", "spec: {a: 1, c: x}\n", []string{"spec", "a"}, Int(2), "spec.a",
			"spec: {a: 2, c: x}\n", 1},
		{"flow, value ends the line", "spec: {c: x, a: 1}\n", []string{"spec", "a"}, Int(2), "spec.a",
			"spec: {c: x, a: 2} # psafix: why\n", 0},
		{"untouched line", "spec:\n  a: 1\n  c: x\n", []string{"spec", "b"}, Int(2), "spec.c",
			"spec:\n  a: 1\n  c: x\n  b: 2\n", 1},
		{"missing field", "spec:\n  a: 1\n", []string{"spec", "b"}, Int(2), "spec.zz[3]",
			"spec:\n  a: 1\n  b: 2\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, skipped := explainOnce(t, tc.in, func(d *Document, e *Editor) { e.Set(d.Root, tc.path, tc.v) },
				LineNote{Field: tc.field, Text: "why"})
			if got != tc.want || skipped != tc.skipped {
				t.Errorf("got %q (%d skipped), want %q (%d skipped)", got, skipped, tc.want, tc.skipped)
			}
		})
	}
}

func TestExplainJoinsNotesOnOneLine(t *testing.T) {
	got, _ := explainOnce(t, "spec:\n  l: [a]\n", func(d *Document, e *Editor) {
		e.Append(d.Root, []string{"spec", "l"}, Str("b"))
	}, LineNote{"spec.l[1]", "one"}, LineNote{"spec.l[1]", "two\nlines"}, LineNote{"spec.l[1]", "one"})
	if want := "spec:\n  l: [a, b] # psafix: one; two lines\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseField(t *testing.T) {
	got, err := ParseField("items[2].spec.metadata.annotations[example.com/x.y].c")
	want := []any{"items", 2, "spec", "metadata", "annotations", "example.com/x.y", "c"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
