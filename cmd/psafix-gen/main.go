// Command psafix-gen writes a tree of generated Deployment manifests, to time psafix by hand:
//
//	go run ./cmd/psafix-gen -dir /tmp/tree -files 1000 -docs 10
//	time go run ./cmd/psafix --write /tmp/tree
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

func main() {
	dir := flag.String("dir", "", "folder to write the files into (created; required)")
	files := flag.Int("files", 1000, "number of files")
	docs := flag.Int("docs", 10, "Deployments per file")
	seed := flag.Int64("seed", 1, "random seed: the same seed writes the same tree")
	flag.Parse()
	if *dir == "" || *files < 1 || *docs < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: psafix-gen -dir DIR [-files N] [-docs N] [-seed N]")
		os.Exit(2)
	}
	if err := kiotest.Files(*dir, *files, *docs, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "psafix-gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "psafix-gen: %s of %s in %s\n", kio.Count(*files, "file", "files"), kio.Count(*docs, "Deployment", "Deployments"), *dir)
}
