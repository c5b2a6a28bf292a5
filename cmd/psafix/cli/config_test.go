package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/rollout"
)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const configHead = "apiVersion: psafix.dev/v1alpha1\nkind: Config\n"

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0
`

// TestConfigFoundAndFlagsWin: .psafix.yaml is found upward from a path (not above the
// repository root), its defaults apply, and flags given on the command line win.
func TestConfigFoundAndFlagsWin(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, ".psafix.yaml"), configHead+"defaults:\n  level: baseline\n  runAsUser: 1000\n  skip: [read-only-root]\n")
	file := writeFile(t, filepath.Join(root, "k8s", "apps", "web.yaml"), deployment)

	out, report, code := runCLIArgs(t, "--diff", file)
	if code != ExitOK || out != "" {
		// At baseline the Deployment passes already, and read-only-root is skipped.
		t.Errorf("config defaults not applied: exit %d\n%s\n%s", code, out, report)
	}
	out, _, _ = runCLIArgs(t, "--diff", "--level=restricted", file)
	if !strings.Contains(out, "runAsUser: 1000") || strings.Contains(out, "readOnlyRootFilesystem") {
		t.Errorf("--level should win and the other defaults stay:\n%s", out)
	}
	out, _, _ = runCLIArgs(t, "--diff", "--level=restricted", "--run-as-user=2000", file)
	if !strings.Contains(out, "runAsUser: 2000") {
		t.Errorf("--run-as-user should win:\n%s", out)
	}

	// Above the repository root nothing is looked for.
	inner := filepath.Join(root, "sub")
	os.MkdirAll(filepath.Join(inner, ".git"), 0o755)
	f2 := writeFile(t, filepath.Join(inner, "web.yaml"), deployment)
	if got := rollout.FindConfig(f2); got != "" {
		t.Errorf("found %s above the repository root", got)
	}

	// Paths under different configs: each file is fixed with its own (runAsUser 1000 under
	// root's, the default under inner's); --config names one for every file.
	writeFile(t, filepath.Join(inner, ".psafix.yaml"), configHead)
	out, report, code = runCLIArgs(t, "--diff", "--level=restricted", file, f2)
	if code == ExitError || strings.Count(out, "runAsUser:") != 2 {
		t.Errorf("exit %d, want each file fixed with its own config:\n%s\n%s", code, out, report)
	}
	if n := strings.Count(out, "runAsUser: 1000"); n != 1 {
		t.Errorf("runAsUser 1000 %d times, want once (root's config, not inner's):\n%s", n, out)
	}
	out, report, code = runCLIArgs(t, "--diff", "--level=restricted", "--config", filepath.Join(inner, ".psafix.yaml"), file, f2)
	if code == ExitError || strings.Contains(out, "runAsUser: 1000") {
		t.Errorf("--config should apply to every file:\n%s\n%s", out, report)
	}

	// A bad config stops the run with PATH:LINE.
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.yaml"), configHead+"defaults:\n  levle: baseline\n")
	_, report, code = runCLIArgs(t, "--config", bad, file)
	if code != ExitError || !strings.Contains(report, bad+`:4: unknown field "levle" in defaults`) {
		t.Errorf("exit %d:\n%s", code, report)
	}
}

// TestConfigImagesExtendTable: images: entries win over the built-in table.
func TestConfigImagesExtendTable(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "c.yaml"), configHead+"images:\n  - pattern: quay.io/prometheus/node-exporter\n    uid: 4242\n")
	file := writeFile(t, filepath.Join(dir, "x.yaml"), strings.Replace(deployment, "ghcr.io/acme/web:1.0", "quay.io/prometheus/node-exporter:v1.8.0", 1))
	out, _, _ := runCLIArgs(t, file)
	if !strings.Contains(out, "runAsUser: 65534") {
		t.Errorf("built-in table not used:\n%s", out)
	}
	out, _, _ = runCLIArgs(t, "--config", cfg, file)
	if !strings.Contains(out, "runAsUser: 4242") {
		t.Errorf("config images not used:\n%s", out)
	}
}
