package kio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWriteFileChecksTheVersionRead: WriteFile replaces a file only if it is still the
// version psafix read, whether the check can rely on the file's times (settled) or must
// compare the content (a file changed just before it was read).
func TestWriteFileChecksTheVersionRead(t *testing.T) {
	const read, fixed = "kind: Pod # as read\n", "kind: Pod # fixed!\n"
	tests := []struct {
		name    string
		settled bool                         // the file is treated as changed long before the read
		change  func(t *testing.T, p string) // what happens to the file after the read
		want    string                       // the file's content afterwards
	}{
		{"untouched", true, func(*testing.T, string) {}, fixed},
		{"untouched, just written", false, func(*testing.T, string) {}, fixed},
		{"rewritten, same size", true, func(t *testing.T, p string) {
			rewrite(t, p, "kind: Pod # edited\n")
		}, "kind: Pod # edited\n"},
		// Within the same timestamp tick as the read: only the content can tell.
		{"rewritten at once, same size, just written", false, func(t *testing.T, p string) {
			overwrite(t, p, "kind: Pod # edited\n")
		}, "kind: Pod # edited\n"},
		{"replaced by another file with the same content", true, func(t *testing.T, p string) {
			replace(t, p, read)
		}, fixed},
		{"replaced by another file", true, func(t *testing.T, p string) {
			replace(t, p, "kind: Pod # edited\n")
		}, "kind: Pod # edited\n"},
		{"touched", true, func(t *testing.T, p string) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(p, later, later); err != nil {
				t.Fatal(err)
			}
		}, fixed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "pod.yaml")
			if err := os.WriteFile(p, []byte(read), 0o640); err != nil {
				t.Fatal(err)
			}
			if tt.settled {
				defer func(w time.Duration) { racyWindow = w }(racyWindow)
				racyWindow = -time.Hour
			}
			snap, err := ReadFile(p, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if string(snap.Data) != read {
				t.Fatalf("read %q", snap.Data)
			}
			if _, _, ok := idOf(mustStat(t, p)); ok && snap.settled != tt.settled {
				t.Fatalf("settled = %v, want %v", snap.settled, tt.settled)
			}
			tt.change(t, p)
			err = WriteFile(p, snap, []byte(fixed))
			got, _ := os.ReadFile(p)
			if string(got) != tt.want {
				t.Errorf("content %q, want %q (WriteFile: %v)", got, tt.want, err)
			}
			if tt.want != fixed && (err == nil || !strings.Contains(err.Error(), "changed on disk")) {
				t.Errorf("err = %v, want changed on disk", err)
			}
			if tt.want == fixed && err != nil {
				t.Errorf("err = %v", err)
			}
			if st := mustStat(t, p); tt.want == fixed && st.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640", st.Mode().Perm())
			}
			assertNoTemp(t, filepath.Dir(p))
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 4097, 100_000} {
		p := filepath.Join(dir, fmt.Sprint(size))
		want := bytes.Repeat([]byte("a"), size)
		os.WriteFile(p, want, 0o644)
		snap, err := ReadFile(p, 1<<20)
		if err != nil || !bytes.Equal(snap.Data, want) {
			t.Errorf("size %d: got %d bytes, %v", size, len(snap.Data), err)
		}
	}
	// A buffer with room is reused; one without is not.
	buf := make([]byte, 0, 8192)
	if snap, err := ReadFileBuffer(filepath.Join(dir, "4095"), 1<<20, buf); err != nil || len(snap.Data) != 4095 || &snap.Data[:1][0] != &buf[:1][0] {
		t.Errorf("the buffer with room was not used (%v)", err)
	}
	if snap, err := ReadFileBuffer(filepath.Join(dir, "100000"), 1<<20, buf); err != nil || len(snap.Data) != 100_000 {
		t.Errorf("a file larger than the buffer: %d bytes, %v", len(snap.Data), err)
	}
	p := filepath.Join(dir, "big")
	os.WriteFile(p, make([]byte, 2000), 0o644)
	if _, err := ReadFile(p, 1999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: err = %v", err)
	}
	if _, err := ReadFile(p, 2000); err != nil {
		t.Errorf("at the limit: err = %v", err)
	}
}

// TestWriteFileConcurrent: many files written at once (sharing syncs) all end up whole.
func TestWriteFileConcurrent(t *testing.T) {
	dir := t.TempDir()
	var snaps []Snapshot
	for i := range 40 {
		p := filepath.Join(dir, fmt.Sprintf("%02d.yaml", i))
		os.WriteFile(p, []byte("old\n"), 0o644)
		s, err := ReadFile(p, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	var wg sync.WaitGroup
	for i, s := range snaps {
		wg.Go(func() {
			if err := WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.yaml", i)), s, []byte(fmt.Sprintf("new %d\n", i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range snaps {
		got, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%02d.yaml", i)))
		if want := fmt.Sprintf("new %d\n", i); string(got) != want {
			t.Errorf("%02d.yaml: %q, want %q", i, got, want)
		}
	}
	assertNoTemp(t, dir)
}

func mustStat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rewrite changes a file in place, its times moved so that they differ from the read's.
func rewrite(t *testing.T, p, s string) {
	t.Helper()
	overwrite(t, p, s)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
}

// overwrite changes a file in place, at once.
func overwrite(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// replace puts another file (another inode) in p's place.
func replace(t *testing.T, p, s string) {
	t.Helper()
	tmp := p + ".new"
	if err := os.WriteFile(tmp, []byte(s), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".*psafix*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
