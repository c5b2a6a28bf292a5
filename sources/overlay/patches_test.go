package overlay

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPatchFinder: every way a kustomization names a patch is recognised, components
// included, from the patch's folder or any folder below the kustomization.
func TestPatchFinder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base/kustomization.yaml": "resources:\n- deploy.yaml\n- https://github.com/example/remote//base\n",
		"base/deploy.yaml":        "kind: Deployment\n",
		"prod/kustomization.yaml": `resources: [../base]
components: [../comp]
patchesStrategicMerge:
- smp.yaml
- |-
  kind: Deployment
  metadata: {name: inline}
patches:
- path: patches/p.yaml
- patch: '[{"op": "add", "path": "/x", "value": 1}]'
patchesJson6902:
- path: json.yaml
`,
		"prod/smp.yaml":           "kind: Deployment\n",
		"prod/patches/p.yaml":     "kind: Deployment\n",
		"prod/json.yaml":          "- op: add\n",
		"comp/kustomization.yaml": "kind: Component\npatches:\n- path: c.yaml\n",
		"comp/c.yaml":             "kind: Deployment\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
	}
	f := NewPatchFinder()
	f.Look(filepath.Join(dir, "prod", "patches"))
	f.Look(filepath.Join(dir, "base"))
	for name, patch := range map[string]bool{
		"prod/smp.yaml": true, "prod/patches/p.yaml": true, "prod/json.yaml": true, "comp/c.yaml": true,
		"base/deploy.yaml": false,
	} {
		if got := f.PatchOf(filepath.Join(dir, name)) != ""; got != patch {
			t.Errorf("%s: patch %v, want %v", name, got, patch)
		}
	}
	k, err := Read(filepath.Join(dir, "base", "kustomization.yaml"))
	if err != nil || len(k.Remote) != 1 || len(k.Resources) != 1 {
		t.Errorf("base: %+v %v", k, err)
	}
}
