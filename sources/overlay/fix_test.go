package overlay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/fixers"
)

// copyFixture copies a fixture tree into a temporary folder.
func copyFixture(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "fixtures", "overlays", name, "tree")
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func inside(paths ...string) FixOptions {
	return FixOptions{
		Inside: func(abs string) bool {
			for _, p := range paths {
				if abs == p || strings.HasPrefix(abs, p+string(filepath.Separator)) {
					return true
				}
			}
			return false
		},
		Name: func(abs string) string { return abs },
	}
}

// TestFixNamePrefix: the overlay's own namePrefix is applied after its patches, so the
// patch names the workload without it; the build with the patch passes.
func TestFixNamePrefix(t *testing.T) {
	dir := copyFixture(t, "base-outside")
	ov := filepath.Join(dir, "overlays", "prod")
	kf := filepath.Join(ov, "kustomization.yaml")
	k, _ := os.ReadFile(kf)
	os.WriteFile(kf, append([]byte("namePrefix: prod-\n"), k...), 0o644)
	e := fixers.NewEngine(fixers.DefaultOptions())
	res := Fix(ov, inside(ov), e)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Files) != 2 || !res.Created[res.Files[0].Path] {
		t.Fatalf("want a new patch and the kustomization, got %d files", len(res.Files))
	}
	if p := string(res.Files[0].New); !strings.Contains(p, "  name: web\n") {
		t.Errorf("the patch does not name the workload as the overlay's patches see it:\n%s", p)
	}
	if len(res.Built.Pods) != 1 || !res.Built.Pods[0].Fixed || len(res.Built.Remaining) != 0 {
		t.Errorf("built: %+v", res.Built)
	}
}

func TestParseField(t *testing.T) {
	segs, err := parseField("spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app].x[2]")
	if err != nil {
		t.Fatal(err)
	}
	want := []seg{{"spec", -1}, {"template", -1}, {"metadata", -1}, {"annotations", -1}, {"container.apparmor.security.beta.kubernetes.io/app", -1}, {"x", -1}, {"", 2}}
	if len(segs) != len(want) {
		t.Fatalf("%v", segs)
	}
	for i := range want {
		if segs[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, segs[i], want[i])
		}
	}
}

// TestFixNamespace: the overlay's namespace: is applied after its patches, so the patch
// names the namespace the base gives the workload (in its file, or its kustomization).
func TestFixNamespace(t *testing.T) {
	for _, baseNs := range []string{"file", "kustomization"} {
		dir := copyFixture(t, "base-outside")
		ov := filepath.Join(dir, "overlays", "prod")
		os.WriteFile(filepath.Join(ov, "kustomization.yaml"), []byte("resources:\n  - ../../base\nnamespace: prod\n"), 0o644)
		if baseNs == "file" {
			d := filepath.Join(dir, "base", "deployment.yaml")
			b, _ := os.ReadFile(d)
			os.WriteFile(d, []byte(strings.Replace(string(b), "  name: web\n", "  name: web\n  namespace: shop\n", 1)), 0o644)
		} else {
			os.WriteFile(filepath.Join(dir, "base", "kustomization.yaml"), []byte("resources:\n  - deployment.yaml\nnamespace: shop\n"), 0o644)
		}
		res := Fix(ov, inside(ov), fixers.NewEngine(fixers.DefaultOptions()))
		if res.Err != nil {
			t.Fatalf("%s: %v", baseNs, res.Err)
		}
		if p := string(res.Files[0].New); !strings.Contains(p, "  namespace: shop\n") {
			t.Errorf("%s: the patch does not name the base's namespace:\n%s", baseNs, p)
		}
	}
}

// BenchmarkFix is an overlay with its base outside the paths, fixed in memory: two
// in-process builds, the engine on each, the patch and the kustomization edit.
func BenchmarkFix(b *testing.B) {
	dir := copyFixture(b, "base-outside")
	ov := filepath.Join(dir, "overlays", "prod")
	e := fixers.NewEngine(fixers.DefaultOptions())
	b.ReportAllocs()
	for b.Loop() {
		if res := Fix(ov, inside(ov), e); res.Err != nil || len(res.Files) != 2 {
			b.Fatal(res.Err)
		}
	}
}
