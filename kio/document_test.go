package kio

import (
	"errors"
	"testing"
)

func TestParseDocumentRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		line int // 0: parses
	}{
		{"json", "{\"a\": 1}\n", 0},
		{"json with trailing comment", "{\"a\": [1, 2]}  # end\n\n", 0},
		{"flow sequence root", "[a, {b: c}]\n", 0},
		{"content after flow root", "{a: {b: 1}}}x\n", 1},
		{"content after flow root, next line", "{\n a: 1\n}\nb: 2\n", 4},
		{"anchored null in flow", "{a: {b: &x}}}z\n", 1},
		{"lone carriage return", "a: 1\rb: 2\n", 1},
		{"unicode line separator", "a: 1\n\u2028b: 2\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := NewSource([]byte(tc.text))
			_, err := ParseDocument(src, Split(src.Data)[0], 0)
			var pe *ParseError
			switch {
			case tc.line == 0 && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.line > 0 && !errors.As(err, &pe):
				t.Fatalf("got %v, want a ParseError at line %d", err, tc.line)
			case tc.line > 0 && pe.Line != tc.line:
				t.Fatalf("error at line %d (%s), want line %d", pe.Line, pe.Msg, tc.line)
			}
		})
	}
}
