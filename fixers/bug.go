package fixers

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// PanicError reports a panic met while handling path: a psafix bug, with the function it
// happened in (PanicSite), for the bug report. Call it from the deferred recover.
func PanicError(path string, p any) *FileError {
	return &FileError{Path: path, Msg: fmt.Sprintf("psafix bug: %v%s: file left untouched; please report it with the file", p, panicSite())}
}

// PanicSite names the function that panicked, as " (in pkg.Func at file:line)", or "".
// Call it from a deferred recover.
func PanicSite() string { return panicSite() }

// panicSite is called from a deferred recover, two calls down: the first frame outside the
// runtime after gopanic is the function that panicked.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	afterPanic := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			afterPanic = true
		} else if afterPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf(" (in %s at %s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}
