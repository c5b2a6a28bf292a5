package kio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Snapshot is a file as psafix read it: its bytes, and what identifies that version on disk
// (device, inode, size, modification and change times), so that WriteFile can tell without
// reading the file again that nobody changed it since. A Snapshot that has only Data
// (standard input, a test, a platform without those times) is checked by content.
type Snapshot struct {
	Data []byte
	id   fileID
	// settled: id is known, and the file was last changed well before it was read, so a
	// later change cannot carry the same times (see racyWindow).
	settled bool
}

// racyWindow: a file changed less than this before psafix read it is compared by content
// before it is replaced, as git does for its racily clean files: a change right after the
// read could fall in the same timestamp tick (coarse kernel clocks, 2-second FAT times, the
// clock of an NFS server).
var racyWindow = 2 * time.Second // a variable for the tests

// ErrTooLarge is a file over the size ReadFile was given; it is not read beyond that size.
var ErrTooLarge = errors.New("file too large")

// ErrNotRegular is a named pipe, socket or device that ReadRegular was given: it is not read
// (a FIFO would block until something writes to it, a device may never end).
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads a file with one read where its size is known, and refuses a file larger
// than max bytes: by its size, unread, or, when it has none (a pipe, a device such as
// /dev/zero) or grows while read, after max+1 bytes.
func ReadFile(path string, max int64) (Snapshot, error) {
	return ReadFileBuffer(path, max, nil)
}

// ReadFileBuffer is ReadFile reading into buf when it has room, so that a caller done with
// the bytes before the next file can reuse one buffer.
func ReadFileBuffer(path string, max int64, buf []byte) (Snapshot, error) {
	return readFile(path, max, buf, false)
}

// ReadRegular is ReadFileBuffer for a file found by walking a tree: it opens without
// blocking and reads only a regular file (ErrNotRegular otherwise), so that a FIFO that
// replaced a file after the walk cannot make psafix wait forever.
func ReadRegular(path string, max int64, buf []byte) (Snapshot, error) {
	return readFile(path, max, buf, true)
}

func readFile(path string, max int64, buf []byte, regular bool) (Snapshot, error) {
	start := time.Now()
	var f *os.File
	var err error
	if regular {
		f, err = openNonblock(path)
	} else {
		f, err = os.Open(path)
	}
	if err != nil {
		return Snapshot{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Snapshot{}, err
	}
	if regular && !info.Mode().IsRegular() {
		return Snapshot{}, ErrNotRegular
	}
	if info.Size() > max {
		return Snapshot{}, ErrTooLarge
	}
	// One byte more than the size, so that the read that fills the buffer is the last one
	// (the file may have grown, or be a pipe reporting no size).
	data := buf[:0]
	if int64(cap(data)) < info.Size()+1 {
		data = make([]byte, 0, info.Size()+1)
	}
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if int64(len(data)) > max {
			return Snapshot{}, ErrTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return Snapshot{}, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
	snap := Snapshot{Data: data}
	if id, changed, ok := idOf(info); ok && int64(len(data)) == info.Size() {
		snap.id, snap.settled = id, changed.Before(start.Add(-racyWindow))
	}
	return snap, nil
}

// unchanged reports whether the file described by info is still the version in s, by
// content when its times cannot tell.
func (s Snapshot) unchanged(path string, info os.FileInfo) (bool, error) {
	if id, _, ok := idOf(info); ok && s.settled && id == s.id {
		return true, nil
	}
	now, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return bytes.Equal(now, s.Data), nil
}

// WriteFile replaces path with data atomically: the bytes go to a temporary file in the same
// folder, are made durable, get the old file's mode, owner and group, and are renamed over
// it, so a reader (or a crash) sees the old file or the new one, never a mix. A symlink is
// resolved and its target replaced, so the link stays a link. It refuses to write a read-only
// file, and a file that is no longer old, the version psafix read: someone changed it
// meanwhile.
func WriteFile(path string, old Snapshot, data []byte) error {
	_, err := WriteFileNotes(path, old, data)
	return err
}

// WriteFileNotes is WriteFile, and says what the new file could not keep of the old one:
// its owner or group (a user who is not the owner, or not in the file's group, cannot give
// them to the new file), or its other hard links (they keep the old content: a rename
// replaces one name).
func WriteFileNotes(path string, old Snapshot, data []byte) ([]string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(target)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o222 == 0 {
		// Renaming over it would work (the folder is writable), but the file says no.
		return nil, fmt.Errorf("file is read-only (mode %v)", info.Mode().Perm())
	}
	if same, err := old.unchanged(target, info); err != nil {
		return nil, err
	} else if !same {
		return nil, fmt.Errorf("changed on disk since it was read; not overwritten")
	}
	dir := filepath.Dir(target)
	removeStaleTemps(dir)
	tmp, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return nil, err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
			temps.forget(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return nil, err
	}
	if err := tmp.Chmod(info.Mode().Perm()); err != nil {
		return nil, err
	}
	notes := keepOwner(tmp, info)
	if err := durable(tmp, info); err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := temps.rename(tmp.Name(), target); err != nil {
		return nil, err
	}
	renamed = true
	if n := links(info); n > 1 {
		notes = append(notes, fmt.Sprintf("had %d hard links: this name now holds a new file, %s the old content", n, Count(int(n-1), "other keeps", "others keep")))
	}
	return notes, nil
}

// ErrInterrupted is a write refused because the process is exiting on a signal.
var ErrInterrupted = errors.New("interrupted: not written")

// temps are the temporary files being written, so that a process stopped by a signal can
// remove them (RemoveTemps) and leave nothing behind.
var temps = &tempFiles{names: map[string]bool{}}

type tempFiles struct {
	mu     sync.Mutex
	names  map[string]bool
	closed bool
}

// tempPrefix names the temporary files of one process: .NAME.psafix-PID-RANDOM, so that a
// later run can tell those of a process that is gone (removeStaleTemps).
func tempPrefix(base string) string {
	return "." + base + ".psafix-" + strconv.Itoa(os.Getpid()) + "-"
}

func createTemp(dir, base string) (*os.File, error) {
	temps.mu.Lock()
	defer temps.mu.Unlock()
	if temps.closed {
		return nil, ErrInterrupted
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return nil, err
	}
	temps.names[f.Name()] = true
	return f, nil
}

// rename renames a temporary file over its target, unless RemoveTemps ran: then the target
// is left as it was.
func (t *tempFiles) rename(tmp, target string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return ErrInterrupted
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	delete(t.names, tmp)
	return nil
}

func (t *tempFiles) forget(tmp string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.names, tmp)
}

// RemoveTemps removes the temporary files of the writes in progress and makes every later
// write fail with ErrInterrupted: for a process about to exit on a signal. A rename under way
// finishes first, so each file is left old or new, never missing.
func RemoveTemps() {
	temps.mu.Lock()
	defer temps.mu.Unlock()
	temps.closed = true
	for name := range temps.names {
		os.Remove(name)
	}
	temps.names = map[string]bool{}
}

// AllowWrites undoes RemoveTemps, for a process that goes on after a signal (a test).
func AllowWrites() {
	temps.mu.Lock()
	defer temps.mu.Unlock()
	temps.closed = false
}

var (
	staleChecked sync.Map // folder -> true: its stale temporary files were removed
	tempName     = regexp.MustCompile(`^\..+\.psafix-([0-9]+)-[0-9]+$`)
)

// removeStaleTemps removes, once per folder and run, the temporary files that psafix
// processes killed without a chance to clean up (SIGKILL, a power cut) left there: those
// whose process is gone. Those of a live process (a concurrent run) are kept.
func removeStaleTemps(dir string) {
	if _, done := staleChecked.LoadOrStore(dir, true); done {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := tempName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
