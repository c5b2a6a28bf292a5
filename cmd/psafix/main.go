// Command psafix fixes Kubernetes manifests so that their pods pass the Pod Security
// Standards. See 'psafix --help'.
package main

import (
	"os"

	"github.com/psafix/psafix/cmd/psafix/cli"
)

func main() {
	tuneGC()
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
