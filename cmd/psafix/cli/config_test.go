package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// TestConfigErrors: every mistake in .psafix.yaml is reported at its line, with what is
// accepted.
func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown top field", configHead + "defualts: {}\n", `c.yaml:3: unknown field "defualts" in the top level (known: apiVersion, kind, defaults, exemptions, images)`},
		{"unknown defaults field", configHead + "defaults:\n  level: baseline\n  colour: red\n", `c.yaml:5: unknown field "colour" in defaults (known: level, version, runAsUser, writablePaths, fixers, skip)`},
		{"bad level", configHead + "defaults:\n  level: strict\n", `c.yaml:4: defaults.level: level must be restricted or baseline, not "strict"`},
		{"bad version", configHead + "defaults:\n  version: 1.30\n", `c.yaml:4: defaults.version: version must be latest or v1.N, not "1.30"`},
		{"bad uid", configHead + "defaults:\n  runAsUser: root\n", `c.yaml:4: defaults.runAsUser: run-as-user must be a non-zero UID or 'none', not "root"`},
		{"relative path", configHead + "defaults:\n  writablePaths: [tmp]\n", `c.yaml:4: defaults.writablePaths: writable path must be absolute, not "tmp"`},
		{"skip not a list", configHead + "defaults:\n  skip: read-only-root\n", `c.yaml:4: skip must be a list`},
		{"unknown fixer", configHead + "defaults:\n  skip: [read-only]\n", `c.yaml:4: defaults.skip: unknown fixer "read-only"`},
		{"wrong kind", "apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\n", `c.yaml:2: kind must be Config, not "PSAFix"`},
		{"no apiVersion", "kind: Config\n", `c.yaml:1: apiVersion must be psafix.dev/v1alpha1, not ""`},
		{"exemption without reason", configHead + "exemptions:\n  - namespace: kube-system\n", `c.yaml:4: an exemption needs a reason`},
		{"exemption unknown field", configHead + "exemptions:\n  - namespace: kube-system\n    reason: cloud\n    fixer: [capabilities]\n", `c.yaml:6: unknown field "fixer" in an exemption (known: namespace, object, fixers, reason)`},
		{"exemption bad object", configHead + "exemptions:\n  - object: node-exporter\n    reason: x\n", `c.yaml:4: object must be Kind/namespace/name`},
		{"exemption both", configHead + "exemptions:\n  - object: DaemonSet/a/b\n    namespace: a\n    reason: x\n", `c.yaml:4: an exemption names a namespace or an object, not both`},
		{"exemption unknown fixer", configHead + "exemptions:\n  - namespace: a\n    fixers: [all, seccomp, nope]\n    reason: x\n", `c.yaml:5: unknown fixer "nope"`},
		{"image without uid", configHead + "images:\n  - pattern: ghcr.io/acme/*\n", `c.yaml:4: an image needs a uid`},
		{"image bad uid", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    uid: -1\n", `c.yaml:5: uid must be a number from 0`},
		{"duplicate", configHead + "kind: Config\n", `c.yaml:3: duplicate key "kind"`},
		{"invalid yaml", configHead + "defaults: [\n", `c.yaml:`},
		{"empty", "# nothing\n", `c.yaml: empty config file`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseConfig("c.yaml", []byte(c.text))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
		})
	}
}

func TestConfigExemptions(t *testing.T) {
	c, err := parseConfig("c.yaml", []byte(configHead+`exemptions:
  - object: DaemonSet/monitoring/node-*
    fixers: [read-only-root]
    reason: textfile collector
  - namespace: kube-*
    reason: managed by the provider
  - fixers: [capabilities]
    reason: everywhere, for now
images:
  - pattern: ghcr.io/acme/*
    uid: 10001
`))
	if err != nil {
		t.Fatal(err)
	}
	x := c.exemptionFor("DaemonSet", "monitoring", "node-exporter")
	if x == nil || len(x.Fixers) != 1 || x.Fixers[0] != "read-only-root" || x.Reason != "textfile collector" || x.From != "c.yaml:4: object DaemonSet/monitoring/node-*" {
		t.Errorf("object exemption: %+v", x)
	}
	if x := c.exemptionFor("Deployment", "kube-system", "coredns"); x == nil || len(x.Fixers) != 0 || x.Reason != "managed by the provider" {
		t.Errorf("namespace exemption: %+v", x)
	}
	if x := c.exemptionFor("Deployment", "shop", "web"); x == nil || len(x.Fixers) != 1 || x.Fixers[0] != "capabilities" {
		t.Errorf("fixer exemption: %+v", x)
	}
	if len(c.images) != 1 || c.images[0].UID != 10001 || c.images[0].Source != "c.yaml:12" {
		t.Errorf("images: %+v", c.images)
	}
}

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
	if got := findConfig(f2); got != "" {
		t.Errorf("found %s above the repository root", got)
	}

	// Paths that lead to different configs are an error; --config settles it.
	writeFile(t, filepath.Join(inner, ".psafix.yaml"), configHead)
	_, report, code = runCLIArgs(t, "check", file, f2)
	if code != ExitError || !strings.Contains(report, "different config files") {
		t.Errorf("exit %d, want an error about two configs:\n%s", code, report)
	}
	_, report, code = runCLIArgs(t, "check", "--config", filepath.Join(inner, ".psafix.yaml"), file, f2)
	if code == ExitError {
		t.Errorf("--config should settle it:\n%s", report)
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
