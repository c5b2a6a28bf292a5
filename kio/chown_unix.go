//go:build unix

package kio

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// keepOwner gives the new file the old one's owner and group where the process may: root
// may give both; the owner may give the group when it is in it. It says what it could not
// keep: the new file then has the writer's owner or group, which the user should know.
func keepOwner(f *os.File, info os.FileInfo) []string {
	old, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if f.Chown(int(old.Uid), int(old.Gid)) != nil {
		// Not root: the owner stays the writer; the group can still be kept.
		_ = f.Chown(-1, int(old.Gid))
	}
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	now, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	var notes []string
	if now.Uid != old.Uid {
		notes = append(notes, fmt.Sprintf("owner changed from %s to %s: only root can keep another user's file", userName(old.Uid), userName(now.Uid)))
	}
	if now.Gid != old.Gid {
		notes = append(notes, fmt.Sprintf("group changed from %s to %s: the writer is not in group %s", groupName(old.Gid), groupName(now.Gid), groupName(old.Gid)))
	}
	return notes
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.Itoa(int(uid))); err == nil {
		return u.Username
	}
	return strconv.Itoa(int(uid))
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.Itoa(int(gid))); err == nil {
		return g.Name
	}
	return strconv.Itoa(int(gid))
}

// links is the number of names the file has.
func links(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// processAlive reports whether a process with this id exists (one of another user counts).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
