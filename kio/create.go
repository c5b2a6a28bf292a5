package kio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RenderBlock writes m as a block mapping at column 0 in style st, each line ending in
// "\n": the text of a new document (a patch psafix adds to an overlay).
func RenderBlock(m *Map, st Style) []byte {
	var b strings.Builder
	for _, l := range renderBlockMap(m, 0, st) {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

// CreateFile writes a new file atomically and never over another: the bytes go to a
// temporary file in the same folder, are made durable, get mode perm, and are hard-linked
// to path, which fails if path exists (a rename would replace it). Where the file system
// has no hard links, the file is created with O_EXCL and written in place.
func CreateFile(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists: not overwritten", path)
	}
	dir := filepath.Dir(path)
	removeStaleTemps(dir)
	tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
		temps.forget(tmp.Name())
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	info, err := tmp.Stat()
	if err != nil {
		return err
	}
	if err := durable(tmp, info); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	err = temps.link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) || errors.Is(err, ErrInterrupted) {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists: not overwritten", path)
		}
		return err
	}
	// No hard links here: create the file itself, exclusively.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// link links a temporary file to its new name, unless RemoveTemps ran.
func (t *tempFiles) link(tmp, target string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrInterrupted
	}
	return os.Link(tmp, target)
}
