//go:build unix

package kio

import (
	"os"
	"syscall"
)

// openNonblock opens path for reading without waiting for a FIFO's writer; reads of a
// regular file are not affected by the flag.
func openNonblock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
