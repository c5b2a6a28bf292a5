package kio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data atomically: the bytes go to a temporary file in the same
// folder, are synced, get the old file's mode and owner, and are renamed over it, so a reader
// (or a crash) sees the old file or the new one, never a mix. A symlink is resolved and its
// target replaced, so the link stays a link. It refuses to write a read-only file, and a file
// that no longer holds old, the content psafix read: someone changed it meanwhile.
func WriteFile(path string, old, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(target)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o222 == 0 {
		// Renaming over it would work (the folder is writable), but the file says no.
		return fmt.Errorf("file is read-only (mode %v)", info.Mode().Perm())
	}
	if now, err := os.ReadFile(target); err != nil {
		return err
	} else if !bytes.Equal(now, old) {
		return fmt.Errorf("changed on disk since it was read; not overwritten")
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".psafix-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	chown(tmp, info)
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
