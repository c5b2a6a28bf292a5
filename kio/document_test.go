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
		{"crlf, then a lone carriage return", "a: 1\r\nb: 2\r\nc: 3\rd: 4\r\n", 3},
		{"carriage return at the end", "a: 1\nb: 2\r", 2},
		{"next line (U+0085)", "a: 1\nb: 2\nc: 3\u0085\n", 3},
		{"separator before a lone carriage return", "a: 1\u2029\nb: 2\rc\n", 1},
		{"lone carriage return before a separator", "a: 1\rb: 2\n\u2029c: 3\n", 1},
		{"crlf only", "a: 1\r\nb: 2\r\n", 0},
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
