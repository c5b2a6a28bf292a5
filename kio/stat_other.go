//go:build !linux

package kio

import (
	"os"
	"time"
)

// fileID is unknown here: snapshots are compared by content.
type fileID struct{}

func idOf(os.FileInfo) (fileID, time.Time, bool) { return fileID{}, time.Time{}, false }

func durable(f *os.File, _ os.FileInfo) error { return f.Sync() }

// FileKey is unknown here: callers fall back to the path.
func FileKey(os.FileInfo) any { return nil }
