package kio

import (
	"strings"
	"testing"
)

// TestFillNull: a key whose value is null is filled when the null is written as nothing,
// "~" or "null" (with an anchor or a comment around it), and refused, never half-edited,
// when it carries a tag or stands on a line of its own.
func TestFillNull(t *testing.T) {
	tests := []struct {
		value string // after "sc:"
		want  string // the document after setting sc.a = 1; "" when refused
	}{
		{"", "sc:\n  a: 1\nz: 2\n"},
		{" ~", "sc:\n  a: 1\nz: 2\n"},
		{" null # none yet", "sc: # none yet\n  a: 1\nz: 2\n"},
		{" # none yet", "sc: # none yet\n  a: 1\nz: 2\n"},
		{" &sc", "sc: &sc\n  a: 1\nz: 2\n"},
		{" !!null", ""},
		{" !!null ~", ""},
		{"\n  !", ""},
		{" &sc ~", ""},
	}
	for _, tt := range tests {
		text := "sc:" + tt.value + "\nz: 2\n"
		src := NewSource([]byte(text))
		d, err := ParseDocument(src, Split(src.Data)[0], 0)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		ed := NewEditor(d)
		ed.Set(d.Root, []string{"sc", "a"}, Int(1))
		edits, err := ed.Edits()
		if tt.want == "" {
			if err == nil {
				t.Errorf("%q: filled, want refused:\n%s", text, Apply(src.Data, edits))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if got := string(Apply(src.Data, edits)); got != tt.want {
			t.Errorf("%q: got\n%s\nwant\n%s", text, got, strings.TrimSpace(tt.want))
		}
	}
}
