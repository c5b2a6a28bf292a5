//go:build unix

package kio

import (
	"os"
	"syscall"
)

// chown gives the new file the old one's owner where the process may (it may not, unless
// root or the owner already); a failure keeps the writer's ownership, which is no worse.
func chown(f *os.File, info os.FileInfo) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
