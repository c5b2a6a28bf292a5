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

// TestBuildRemoteBelow: a remote resource in a base's kustomization (or a component's) is
// found before krusty would run git for it.
func TestBuildRemoteBelow(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"base/kustomization.yaml":  "resources:\n- github.com/acme/base//deploy?ref=v1\n",
		"ov/kustomization.yaml":    "resources:\n- ../base\ncomponents:\n- ../comp\n",
		"comp/kustomization.yaml":  "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
		"ov2/kustomization.yaml":   "resources:\n- ../ov3\ncomponents:\n- ../comp2\n",
		"ov3/kustomization.yaml":   "resources: []\n",
		"comp2/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- https://example.com/x.yaml\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
	}
	for ov, r := range map[string]string{"ov": "github.com/acme/base//deploy?ref=v1", "ov2": "https://example.com/x.yaml"} {
		if _, err := Build(filepath.Join(dir, ov)); !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), r) {
			t.Errorf("%s: got %v", ov, err)
		}
	}
}
