//go:build unix

package kio

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestTempNames: a temporary file carries the writer's process id, and a later write into
// the same folder removes those of processes that are gone, never those of a live one.
func TestTempNames(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pod.yaml")
	os.WriteFile(p, []byte("a\n"), 0o644)

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip(err)
	}
	dead := gone.Process.Pid
	if processAlive(dead) {
		t.Skipf("pid %d was reused", dead)
	}
	stale := filepath.Join(dir, fmt.Sprintf(".other.yaml.psafix-%d-123456", dead))
	live := filepath.Join(dir, ".other.yaml.psafix-1-123456")                  // init: alive
	own := filepath.Join(dir, fmt.Sprintf(".x.yaml.psafix-%d-1", os.Getpid())) // a write of this process
	old := filepath.Join(dir, ".other.yaml.psafix-123456")                     // an older psafix's: no pid, kept
	for _, f := range []string{stale, live, own, old} {
		os.WriteFile(f, []byte("partial"), 0o600)
	}
	snap, err := ReadFile(p, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, snap, []byte("b\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file of gone process %d kept", dead)
	}
	for _, f := range []string{live, own, old} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(f), err)
		}
	}
	if got := tempPrefix("pod.yaml"); got != ".pod.yaml.psafix-"+strconv.Itoa(os.Getpid())+"-" {
		t.Errorf("tempPrefix = %q", got)
	}
}

// TestRemoveTemps: what a signal handler calls removes the temporary files of the writes
// under way, and every later write is refused, leaving its file as it was.
func TestRemoveTemps(t *testing.T) {
	defer func(saved *tempFiles) { temps = saved }(temps)
	temps = &tempFiles{names: map[string]bool{}}
	dir := t.TempDir()
	f, err := createTemp(dir, "pod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := filepath.Join(dir, "pod.yaml")
	os.WriteFile(p, []byte("a\n"), 0o644)
	snap, _ := ReadFile(p, 1<<20)

	RemoveTemps()
	if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file of a write under way kept")
	}
	if err := WriteFile(p, snap, []byte("b\n")); !errors.Is(err, ErrInterrupted) {
		t.Errorf("write after RemoveTemps: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "a\n" {
		t.Errorf("file changed: %q", got)
	}
	assertNoTemp(t, dir)
}

// TestWriteKeepsGroup runs a write as a user who is not the file's owner (which needs root
// to set up): the group is kept when the writer is in it, and reported when not.
func TestWriteKeepsGroup(t *testing.T) {
	if os.Getenv("KIO_WRITE_AS") != "" {
		p := os.Getenv("KIO_WRITE_AS")
		snap, err := ReadFile(p, 1<<20)
		if err == nil {
			var notes []string
			notes, err = WriteFileNotes(p, snap, []byte("fixed\n"))
			fmt.Printf("NOTES:%s\n", strings.Join(notes, "|"))
		}
		if err != nil {
			fmt.Printf("ERR:%v\n", err)
		}
		return
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to run a write as other users")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	// Not t.TempDir: its parent is private to root, and the writer must reach the files.
	dir, err := os.MkdirTemp("", "kio-group-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	exe := filepath.Join(dir, "kio.test")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Skip(err)
	}
	os.WriteFile(exe, data, 0o755)
	const owner, group, writer = 4101, 4102, 4103
	for _, tt := range []struct {
		name   string
		groups []uint32
		want   string
	}{
		{"writer in the group", []uint32{group}, "NOTES:owner changed from 4101 to 4103: only root can keep another user's file\n"},
		{"writer not in the group", nil, "NOTES:owner changed from 4101 to 4103: only root can keep another user's file|group changed from 4102 to 4103: the writer is not in group 4102\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			os.WriteFile(p, []byte("as read\n"), 0o666)
			os.Chown(p, owner, group)
			cmd := exec.Command(exe, "-test.run=^TestWriteKeepsGroup$")
			cmd.Env = append(os.Environ(), "KIO_WRITE_AS="+p)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: writer, Gid: writer, Groups: tt.groups}}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Skipf("cannot run as uid %d: %v\n%s", writer, err, out)
			}
			got := ""
			for _, l := range strings.SplitAfter(string(out), "\n") {
				if strings.HasPrefix(l, "NOTES:") || strings.HasPrefix(l, "ERR:") {
					got += l
				}
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			st, _ := os.Stat(p)
			if gid := st.Sys().(*syscall.Stat_t).Gid; (tt.groups != nil) != (gid == group) {
				t.Errorf("group now %d", gid)
			}
		})
	}
}

// TestHardLinkNote: a file with another name becomes a separate file, and the write says so.
func TestHardLinkNote(t *testing.T) {
	dir := t.TempDir()
	p, other := filepath.Join(dir, "pod.yaml"), filepath.Join(dir, "other.yaml")
	os.WriteFile(p, []byte("a\n"), 0o644)
	if err := os.Link(p, other); err != nil {
		t.Skip(err)
	}
	snap, _ := ReadFile(p, 1<<20)
	notes, err := WriteFileNotes(p, snap, []byte("b\n"))
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "had 2 hard links") {
		t.Errorf("notes %q, err %v", notes, err)
	}
	if got, _ := os.ReadFile(other); string(got) != "a\n" {
		t.Errorf("other name: %q", got)
	}
}
