//go:build !unix

package kio

import "os"

func openNonblock(path string) (*os.File, error) { return os.Open(path) }
