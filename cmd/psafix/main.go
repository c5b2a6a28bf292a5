// Command psafix fixes Kubernetes manifests so that their pods pass the Pod Security
// Standards. See 'psafix --help'.
package main

import (
	"os"
	"runtime/debug"

	"github.com/psafix/psafix/cmd/psafix/cli"
)

func main() {
	tuneGC()
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneGC trades memory psafix does not need for time: what a run keeps live is a few files
// per worker, so with Go's default (GOGC=100) the collector runs very often over a small heap
// and takes a large share of the time. A soft limit keeps the peak bounded when files are
// large. GOGC and GOMEMLIMIT, when set, win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(200 << 20)
	}
}
