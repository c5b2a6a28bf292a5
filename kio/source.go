package kio

import (
	"bytes"
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

// Offset converts a yaml.v3 position (1-based line, 1-based column counted in characters)
// to a byte offset.
func (s *Source) Offset(line, col int) int {
	off := s.LineStart(line)
	end := s.LineEnd(line)
	for c := 1; c < col && off < end; c++ {
		_, n := utf8.DecodeRune(s.Data[off:end])
		off += n
	}
	return off
}

// Column converts a byte offset to a 1-based character column on its line.
func (s *Source) Column(off int) int {
	return utf8.RuneCount(s.Data[s.LineStart(s.LineOf(off)):off]) + 1
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
