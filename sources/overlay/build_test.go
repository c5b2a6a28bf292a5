package overlay

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuild builds the fixture overlay in-process: the patch merged into its base, with
// origin annotations naming the base file.
func TestBuild(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "overlays", "base-inside", "tree", "overlays", "prod")
	out, err := Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"memory: 512Mi", "runAsUser: 1000", OriginAnnotation, "base/deployment.yaml"} {
		if !strings.Contains(s, want) {
			t.Errorf("built overlay lacks %q:\n%s", want, s)
		}
	}
	if Origin(map[string]string{OriginAnnotation: "path: ../../base/deployment.yaml\n"}) != "../../base/deployment.yaml" {
		t.Error("Origin")
	}
}

// TestBuildRemote: a kustomization with a remote resource is not built; the error names the
// resource and is ErrRemote.
func TestBuildRemote(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- https://github.com/acme/base//deploy?ref=v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(dir)
	if !errors.Is(err, ErrRemote) || err.Error() != "remote resource https://github.com/acme/base//deploy?ref=v1 cannot be fetched offline: the overlay is not built (its local files are checked)" {
		t.Errorf("got %v", err)
	}
}
