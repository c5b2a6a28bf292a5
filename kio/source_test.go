package kio

import (
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestNewSource(t *testing.T) {
	tests := []struct {
		text  string
		eol   string
		lines []int // the line of each byte offset
	}{
		{"", "\n", nil},
		{"a", "\n", []int{1}},
		{"a\nb", "\n", []int{1, 1, 2}},
		{"a\n\nb\n", "\n", []int{1, 1, 2, 3, 3}},
		{"a\r\nb\r\n", "\r\n", []int{1, 1, 1, 2, 2, 2}},
		{"a\r\nb\nc\r\n", "\r\n", []int{1, 1, 1, 2, 2, 3, 3, 3}},
		{"a\nb\r\nc\n", "\n", []int{1, 1, 2, 2, 2, 3, 3}},
		{"\xef\xbb\xbfa\nb", "\n", []int{1, 1, 2}},
	}
	for _, tt := range tests {
		s := NewSource([]byte(tt.text))
		if s.EOL != tt.eol {
			t.Errorf("%q: EOL %q, want %q", tt.text, s.EOL, tt.eol)
		}
		var lines []int
		for off := range s.Data {
			lines = append(lines, s.LineOf(off))
		}
		if diff := cmp.Diff(tt.lines, lines); diff != "" {
			t.Errorf("%q: lines (-want +got):\n%s", tt.text, diff)
		}
	}
}

// walkOffset and walkColumn are the plain definitions of Offset and Column: a walk over the
// characters from the line's start.
func walkOffset(s *Source, line, col int) int {
	off, end := s.LineStart(line), s.LineEnd(line)
	for c := 1; c < col && off < end; c++ {
		_, n := utf8.DecodeRune(s.Data[off:end])
		off += n
	}
	return off
}

func walkColumn(s *Source, off int) int {
	return utf8.RuneCount(s.Data[s.LineStart(s.LineOf(off)):off]) + 1
}

// checkPositions compares Offset and Column with the walks at every line, column and offset.
func checkPositions(t *testing.T, data []byte) {
	t.Helper()
	s := NewSource(data)
	for line := 1; line <= s.Lines(); line++ {
		for col := 1; col <= len(s.Line(line))+2; col++ {
			if got, want := s.Offset(line, col), walkOffset(s, line, col); got != want {
				t.Fatalf("%q: Offset(%d, %d) = %d, want %d", data, line, col, got, want)
			}
		}
	}
	for off := 0; off <= len(s.Data); off++ {
		if got, want := s.Column(off), walkColumn(s, off); got != want {
			t.Fatalf("%q: Column(%d) = %d, want %d", data, off, got, want)
		}
	}
}

func TestPositions(t *testing.T) {
	for _, text := range []string{
		"", "a", "a: b\nc: d\n", "é", "aé\nbé c\n", "ü: ☕ 🍰\r\n  x: ✓\n",
		"\xff\xfe a\n\xe2\x82 b\né\xe2\x82\xac", "x\xe2\x82\xac\xe2", "\xef\xbb\xbf☕\n☕",
	} {
		checkPositions(t, []byte(text))
	}
}
