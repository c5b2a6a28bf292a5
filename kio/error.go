package kio

import (
	"strconv"
	"strings"
)

// Error is a problem located in a file, psafix's one error type with a position (as
// go/scanner's Error is the toolchain's): PATH:LINE:COLUMN: message. Path, Line and Column
// are left out when unknown (zero); without a path a line reads "line N: message", as the
// editor's errors do. Other packages name it (fixers.FileError, rollout.ConfigError,
// imagelock.Error) and find it with errors.As.
type Error struct {
	Path   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.Path != "":
		b.WriteString(e.Path)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
			if e.Column > 0 {
				b.WriteString(":" + strconv.Itoa(e.Column))
			}
		}
		b.WriteString(": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}
