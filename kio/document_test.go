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

// TestParserErrorLine: yaml.v3 counts its parser errors' lines from 0; the error names the
// line where the unclosed collection or the bad key is, counting from 1, as its scanner
// errors do.
func TestParserErrorLine(t *testing.T) {
	for text, want := range map[string]int{
		"a: 1\nb:\n  - x\n  - y\n c: 2\n":    5, // did not find expected key
		"a: 1\nb: {x: 1\nc: 2\n":             2, // ',' or '}'
		"a: 1\nb: [x, y\nc: 2\n":             2, // ',' or ']'
		"a:\n  - x\n  b: 1\n":                2, // '-' indicator
		"a: 1\n\n\nb: {x: 1,\n\n  y: 2\nz\n": 4,
		"a: 1\nb: 2\nc: [1,\n":               3, // node content, at the end: the last line
		"a: 1\r\nb: {x: 1\r\nc: 2\r\n":       2,
		"a: 1\nb: c: d\n":                    2, // a scanner error, already from 1
	} {
		src := NewSource([]byte(text))
		_, err := ParseDocument(src, Split(src.Data)[0], 0)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != want {
			t.Errorf("%q: %v, want line %d", text, err, want)
		}
	}
}
