package cli

import (
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cmdBudget is the most lines of Go (tests aside) that cmd/ may hold: it holds faces only
// (cobra commands, flags, output formats, exit codes); policy lives in the libraries.
const cmdBudget = 3000

// yamlPackages are the YAML packages no face imports: reading manifests is kio's job.
var yamlPackages = []string{"sigs.k8s.io/kustomize/kyaml", "gopkg.in/yaml", "go.yaml.in/yaml", "sigs.k8s.io/yaml"}

// TestCmdHoldsFacesOnly keeps cmd/ within its line budget and free of YAML imports.
func TestCmdHoldsFacesOnly(t *testing.T) {
	root := filepath.Join("..", "..") // cmd/
	lines := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines += bytes.Count(src, []byte("\n"))
		f, err := parser.ParseFile(token.NewFileSet(), p, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, y := range yamlPackages {
				if strings.HasPrefix(path, y) {
					t.Errorf("%s imports %s: YAML belongs in kio or a library package, not in cmd/", p, path)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if lines > cmdBudget {
		t.Errorf("cmd/ holds %d lines of Go, over its budget of %d: move policy into rollout/, krm/ or the source packages", lines, cmdBudget)
	}
	t.Logf("cmd/: %d lines of Go (budget %d)", lines, cmdBudget)
}
