package kiotest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Golden compares got with the golden file at path, or writes got there when update is set
// (go test -update). howTo tells the reader how to create a missing golden file.
func Golden(t testing.TB, path, got string, update bool, howTo string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s)", err, howTo)
	}
	if string(want) != got {
		t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), got))
	}
}

// CopyTree copies the folder src into dst (created as needed) and returns the bytes of every
// file copied, by its path under dst. each, when not nil, is called after each file is
// written.
func CopyTree(src, dst string, each func(target string, d fs.DirEntry) error) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[target] = b
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
		if each != nil {
			return each(target, d)
		}
		return nil
	})
	return files, err
}
