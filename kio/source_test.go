package kio

import (
	"testing"

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
