package cli

import (
	"fmt"
	"io"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// This file is the one path by which a file psafix changed leaves it, for fix and label
// alike: written in place (--write), shown as a diff (--diff), named (--list), or printed
// with the other manifests on standard output (the default).

// write replaces a changed file in place, atomically; it returns what the new file could not
// keep of the old one (owner, group, other hard links), for the user to be told.
func (r *run) write(path string, snap kio.Snapshot, data []byte) ([]string, error) {
	return kio.WriteFileNotes(path, snap, data)
}

// notWritten reports a changed file that could not be written: an error.
func (r *run) notWritten(path string, err error) {
	r.fail(path, 0, 0, fmt.Sprintf("%s: not written: %v", path, errMsg(err)))
}

// writeNotes tells what a written file could not keep.
func (r *run) writeNotes(path string, notes []string) {
	for _, n := range notes {
		r.report("notice", fixers.Report{Path: path, Line: 1, Object: "file", Message: n, Note: true})
	}
}

// unifiedDiff is the diff of a changed file, with its path as git names it.
func unifiedDiff(path string, old, new []byte) string {
	return diffview.Unified(diffPath(path), diffPath(path), old, new, 3)
}

// show prints a file in the output mode: the diff of its change (--diff; diff is computed
// here when empty), its path when it changes (--list), or its manifests, changed or as they
// were (the default). new is nil when the file does not change. --write and check print
// nothing here.
func (r *run) show(path string, old, new []byte, diff string) {
	switch {
	case r.check || r.flags.write:
	case r.flags.diff:
		if new == nil {
			return
		}
		if diff == "" {
			diff = unifiedDiff(path, old, new)
		}
		if r.flags.color == "always" || (r.flags.color == "auto" && isTerminal(r.stdout)) {
			diff = diffview.Colorize(diff)
		}
		io.WriteString(r.stdout, diff)
	case r.flags.list:
		if new != nil {
			fmt.Fprintln(r.stdout, path)
		}
	default:
		if new != nil {
			r.out(new)
		} else {
			r.out(old)
		}
	}
}
