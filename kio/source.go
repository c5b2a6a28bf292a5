package kio

import (
	"bytes"
	"sort"
	"unicode/utf8"
)

// Source is the text of one file, indexed by line. Offsets and lines are those of the text
// without its BOM; the BOM is put back when the file is written.
type Source struct {
	Data []byte
	// BOM records that the file started with a UTF-8 byte order mark.
	BOM bool
	// EOL is the file's line ending ("\n" or "\r\n"), used for every inserted line so that a
	// CRLF file never gets a bare LF.
	EOL string
	// lineStart[i] is the offset of line i+1.
	lineStart []int
	// wide[i] is the offset of the i-th character of more than one byte, and extra[i] the
	// bytes beyond one that the characters up to and including it take: with them a column
	// becomes an offset (and back) by a binary search instead of a walk from the line's
	// start, which made a file written on one line quadratic. Both are empty for ASCII text.
	wide, extra []int32
}

// NewSource indexes data. A leading BOM is stripped from Data and remembered.
func NewSource(data []byte) *Source {
	s := &Source{EOL: "\n"}
	if bytes.HasPrefix(data, BOM) {
		s.BOM = true
		data = data[len(BOM):]
	}
	s.Data = data
	// bytes.Count and IndexByte scan many bytes at a time; every file goes through this.
	s.lineStart = make([]int, 1, bytes.Count(data, []byte("\n"))+1)
	crlf, lf := 0, 0
	for off := 0; ; {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		i += off
		if i > 0 && data[i-1] == '\r' {
			crlf++
		} else {
			lf++
		}
		if i+1 < len(data) {
			s.lineStart = append(s.lineStart, i+1)
		}
		off = i + 1
	}
	s.indexWide()
	// A file that mixes endings gets whichever it uses most; ties go to LF.
	if crlf > lf {
		s.EOL = "\r\n"
	}
	return s
}

// Bytes returns the file content as it is on disk (with its BOM, if it had one).
func (s *Source) Bytes() []byte {
	if !s.BOM {
		return s.Data
	}
	return append(append([]byte{}, BOM...), s.Data...)
}

// Lines is the number of lines (a final line without a newline counts).
func (s *Source) Lines() int { return len(s.lineStart) }

// LineStart returns the offset of the first byte of line (1-based).
func (s *Source) LineStart(line int) int {
	if line < 1 {
		return 0
	}
	if line > len(s.lineStart) {
		return len(s.Data)
	}
	return s.lineStart[line-1]
}

// LineEnd returns the offset just before line's terminator ("\n" or "\r\n").
func (s *Source) LineEnd(line int) int {
	end := len(s.Data)
	if line < len(s.lineStart) {
		end = s.lineStart[line] - 1 // the '\n'
		if end > 0 && s.Data[end-1] == '\r' {
			end--
		}
	} else if end > 0 && line == len(s.lineStart) {
		// Last line: it may still end in a newline.
		if s.Data[end-1] == '\n' {
			end--
			if end > 0 && s.Data[end-1] == '\r' {
				end--
			}
		}
	}
	return end
}

// EOLOf returns the ending of line: "\r\n" or "\n", or the file's EOL for a last line
// without one. A line added after line takes it, so that mixed files keep every ending.
func (s *Source) EOLOf(line int) string {
	end := s.LineEnd(line)
	switch {
	case end+1 < len(s.Data) && s.Data[end] == '\r' && s.Data[end+1] == '\n':
		return "\r\n"
	case end < len(s.Data) && s.Data[end] == '\n':
		return "\n"
	}
	return s.EOL
}

// Line returns the text of line without its terminator.
func (s *Source) Line(line int) []byte {
	return s.Data[s.LineStart(line):s.LineEnd(line)]
}

// LineOf returns the 1-based line that holds offset off.
func (s *Source) LineOf(off int) int {
	lo, hi := 0, len(s.lineStart)
	for lo < hi {
		m := (lo + hi) / 2
		if s.lineStart[m] <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// indexWide records the characters of more than one byte. A byte that is not valid UTF-8
// counts as one character of one byte, as utf8.DecodeRune reads it; a valid multi-byte
// character holds no ASCII byte, so it never spans a line break.
func (s *Source) indexWide() {
	data := s.Data
	var extra int32
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, n := utf8.DecodeRune(data[i:])
		if n > 1 {
			extra += int32(n - 1)
			s.wide = append(s.wide, int32(i))
			s.extra = append(s.extra, extra)
		}
		i += n
	}
}

// extraBefore returns the extra bytes of the wide characters that start before off.
func (s *Source) extraBefore(off int) int {
	k := sort.Search(len(s.wide), func(i int) bool { return int(s.wide[i]) >= off })
	if k == 0 {
		return 0
	}
	return int(s.extra[k-1])
}

// Offset converts a yaml.v3 position (1-based line, 1-based column counted in characters)
// to a byte offset (at most the line's end).
func (s *Source) Offset(line, col int) int {
	start, end := s.LineStart(line), s.LineEnd(line)
	if col < 1 {
		col = 1
	}
	if len(s.wide) == 0 {
		return min(start+col-1, end)
	}
	// The wide characters of the line before the target are those whose character index
	// on the line (offset minus start minus the extra bytes before it on the line) is below
	// col-1; that index grows with the offset, so a binary search finds them.
	lo := sort.Search(len(s.wide), func(i int) bool { return int(s.wide[i]) >= start })
	base := 0
	if lo > 0 {
		base = int(s.extra[lo-1])
	}
	hi := sort.Search(len(s.wide), func(i int) bool { return int(s.wide[i]) >= end })
	k := lo + sort.Search(hi-lo, func(i int) bool {
		j := lo + i
		before := base
		if j > 0 {
			before = int(s.extra[j-1])
		}
		return int(s.wide[j])-start-(before-base) >= col-1
	})
	extra := 0
	if k > 0 {
		extra = int(s.extra[k-1]) - base
	}
	return min(start+col-1+extra, end)
}

// Column converts a byte offset to a 1-based character column on its line.
func (s *Source) Column(off int) int {
	start := s.LineStart(s.LineOf(off))
	if len(s.wide) == 0 {
		return off - start + 1
	}
	extra := s.extraBefore(off) - s.extraBefore(start)
	// A wide character cut by off counts one character per byte before off, as
	// utf8.RuneCount reads the cut bytes.
	k := sort.Search(len(s.wide), func(i int) bool { return int(s.wide[i]) >= off })
	if k > 0 && int(s.wide[k-1]) >= start {
		_, n := utf8.DecodeRune(s.Data[s.wide[k-1]:])
		if cut := int(s.wide[k-1]) + n - off; cut > 0 {
			extra -= n - 1
		}
	}
	return off - start - extra + 1
}

// isBlankOrComment reports whether a line holds nothing but white space or a comment.
func isBlankOrComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) == 0 || t[0] == '#' || (len(t) == 1 && t[0] == '\r')
}

// isBlank reports whether a line holds nothing but white space.
func isBlank(line []byte) bool {
	return len(bytes.TrimSpace(line)) == 0
}

// indentOf returns the number of leading spaces of a line.
func indentOf(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}
