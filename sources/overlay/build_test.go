package overlay

import (
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
