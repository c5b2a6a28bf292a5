package kio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// FileType names what a file that is not a regular one is.
func FileType(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// InsideTree checks that the symlink p resolves to a file below root, and returns it.
func InsideTree(root, p string) (string, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	rootAbs, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(rootAbs, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("symlink to %s, outside %s: not followed", target, root)
	}
	if st, err := os.Stat(target); err != nil || st.IsDir() {
		return "", fmt.Errorf("symlink to %s, not a file: not followed", target)
	}
	return target, nil
}

// ResolveLink returns the file a symlink p leads to, named from p's folder as the user named
// p (k8s/web.yaml -> base/web.yaml is k8s/base/web.yaml), so that diffs and messages name
// the file that changes, never the link; p itself when it is no link.
func ResolveLink(p string) (string, error) {
	orig := p
	for range 40 {
		fi, err := os.Lstat(p)
		if err != nil {
			return orig, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			// Folders that are links themselves make ".." in a link's target mean another
			// folder than it says: then the real path, absolute.
			a, errA := os.Stat(orig)
			b, errB := os.Stat(p)
			if errA == nil && errB == nil && !os.SameFile(a, b) {
				return filepath.EvalSymlinks(orig)
			}
			return p, nil
		}
		t, err := os.Readlink(p)
		if err != nil {
			return orig, err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = filepath.Clean(t)
	}
	return orig, errors.New("too many levels of symbolic links")
}

// InvalidUTF8Line is the line of the first byte in data that is not UTF-8.
func InvalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		c, n := utf8.DecodeRune(data)
		if c == utf8.RuneError && n <= 1 {
			return line
		}
		if c == '\n' {
			line++
		}
		data = data[n:]
	}
	return line
}
