package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash-separated paths relative to dir) and returns dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const plainPod = `apiVersion: v1
kind: Pod
metadata:
  name: plain
spec:
  containers:
  - name: app
    image: example.com/app:1
`

const scaffoldChart = `apiVersion: v2
name: app
version: 0.1.0
`

const scaffoldValues = `# Default values for app.
image:
  repository: example.com/app
  tag: "1"

podSecurityContext: {}
  # fsGroup: 2000

securityContext: {}
  # capabilities:
  #   drop:
  #   - ALL
`

const scaffoldDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: app
          {{- with .Values.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`

// chartTree is a tree with a chart and a plain manifest, as a repository holds them.
func chartTree(t *testing.T) string {
	return writeTree(t, t.TempDir(), map[string]string{
		"manifests/pod.yaml":               plainPod,
		"charts/app/Chart.yaml":            scaffoldChart,
		"charts/app/values.yaml":           scaffoldValues,
		"charts/app/templates/deploy.yaml": scaffoldDeployment,
	})
}

// TestCheckTreeWithChart: a chart in the tree is not an error; the plain manifest's
// violations make the exit code 1.
func TestCheckTreeWithChart(t *testing.T) {
	dir := chartTree(t)
	_, report, code := runCLIArgs(t, "check", dir)
	if code != ExitFindings {
		t.Errorf("exit %d, want %d\n%s", code, ExitFindings, report)
	}
	if strings.Contains(report, "error") {
		t.Errorf("report names an error:\n%s", report)
	}
	// A template given directly (as pre-commit passes it) stands for its chart.
	_, report, code = runCLIArgs(t, "check", filepath.Join(dir, "charts/app/templates/deploy.yaml"))
	if code == ExitError {
		t.Errorf("template given directly: exit %d\n%s", code, report)
	}
}

// TestSourceFixtures runs each case of fixtures/charts and fixtures/overlays: psafix with
// the case's args (run in a copy of its tree) must print want.diff and want.report; then
// --write, after which a second run changes nothing.
func TestSourceFixtures(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", "..", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob(filepath.Join(root, "charts", "*", "args"))
	overlays, _ := filepath.Glob(filepath.Join(root, "overlays", "*", "args"))
	cases = append(cases, overlays...)
	if len(cases) < 5 {
		t.Fatal("chart and overlay fixtures missing")
	}
	for _, a := range cases {
		dir := filepath.Dir(a)
		name, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			tmp, _ := copyTree(t, filepath.Join(dir, "tree"))
			t.Chdir(tmp)
			args := loadArgs(t, dir)
			out, report, code := runCLI(args, nil)
			compare(t, filepath.Join(dir, "want.report"), report+fmt.Sprintf("exit: %d\n", code))
			if args[0] == "check" {
				// check prints its findings on standard output.
				compare(t, filepath.Join(dir, "want.out"), out)
				return
			}
			compare(t, filepath.Join(dir, "want.diff"), out)
			write := append([]string{"--write"}, args[1:]...)
			if _, report, code := runCLI(write, nil); code == ExitError {
				t.Fatalf("--write: exit %d\n%s", code, report)
			}
			if out, report, _ := runCLI(args, nil); out != "" {
				t.Errorf("second run would change:\n%s\n%s", out, report)
			}
		})
	}
}

// TestExclude: --exclude globs (relative to the current folder) and the config's exclude:
// (relative to its folder) leave paths out of a walk and out of the files given.
func TestExclude(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		".psafix.yaml":              "apiVersion: psafix.dev/v1alpha1\nkind: Config\nexclude:\n  - generated/\n",
		"apps/web.yaml":             plainPod,
		"apps/testdata/bad.yaml":    plainPod,
		"apps/deep/testdata/x.json": `{"kind": "Pod"}`,
		"generated/out.yaml":        plainPod,
		"other/a.yaml":              plainPod,
		"other/b.yml":               plainPod,
	})
	t.Chdir(dir)
	_, report, _ := runCLIArgs(t, "check", "--exclude", "**/testdata/", "--exclude", "other/*.yml", ".")
	// apps/web.yaml and other/a.yaml (.psafix.yaml is not a manifest).
	if !strings.Contains(report, "psafix check: 2 files") {
		t.Errorf("want apps/web.yaml and other/a.yaml only:\n%s", report)
	}
	// A file given directly (pre-commit) is left out too.
	_, report, code := runCLIArgs(t, "check", "generated/out.yaml", "apps/web.yaml")
	if !strings.Contains(report, "psafix check: 1 file,") || code != ExitFindings {
		t.Errorf("generated/out.yaml not excluded (exit %d):\n%s", code, report)
	}
}

// TestValuesFlag: -f needs exactly one chart; with one, a fix goes to the last -f file that
// sets the key, else to values.yaml.
func TestValuesFlag(t *testing.T) {
	dir := chartTree(t)
	t.Chdir(dir)
	if _, report, code := runCLIArgs(t, "check", "-f", "x.yaml", "manifests"); code != ExitError || !strings.Contains(report, "exactly one Helm chart") {
		t.Errorf("-f without a chart: exit %d\n%s", code, report)
	}
	writeTree(t, dir, map[string]string{"prod.yaml": "# prod\nsecurityContext:\n  readOnlyRootFilesystem: true\n"})
	out, report, code := runCLIArgs(t, "--diff", "-f", "prod.yaml", "charts/app")
	if code != ExitFindings || !strings.Contains(out, "+++ b/prod.yaml") || !strings.Contains(out, "+++ b/charts/app/values.yaml") {
		t.Errorf("exit %d\n%s\n%s", code, out, report)
	}
	if strings.Contains(out, "+securityContext:") {
		t.Errorf("securityContext written into values.yaml, not prod.yaml:\n%s", out)
	}
}

// TestCheckOverlay: psafix check OVERLAY builds it in-process and reports the built
// workload with its origin; once the base is fixed (the patch left alone), the built
// overlay passes.
func TestCheckOverlay(t *testing.T) {
	tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", "base-inside", "tree"))
	t.Chdir(tmp)
	out, report, code := runCLIArgs(t, "check", "overlays/prod")
	if code != ExitFindings || !strings.Contains(out, "Deployment/web (built, from base/deployment.yaml)") {
		t.Fatalf("exit %d\n%s\n%s", code, out, report)
	}
	patch, _ := os.ReadFile("overlays/prod/patch.yaml")
	if _, report, code := runCLIArgs(t, "--write", "base", "overlays"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	if after, _ := os.ReadFile("overlays/prod/patch.yaml"); string(after) != string(patch) {
		t.Errorf("the patch changed:\n%s", after)
	}
	base, _ := os.ReadFile("base/deployment.yaml")
	for _, kept := range []string{"runAsUser: 1000 # the image's user", "readOnlyRootFilesystem: false # writes to /var/cache"} {
		if !strings.Contains(string(base), kept) {
			t.Errorf("base lost %q:\n%s", kept, base)
		}
	}
	out, report, code = runCLIArgs(t, "check", "overlays/prod")
	if code != ExitOK {
		t.Errorf("built overlay still fails: exit %d\n%s\n%s", code, out, report)
	}
}

// TestReportChart: psafix report renders a chart; "after" is what a fix at the source
// reaches.
func TestReportChart(t *testing.T) {
	dir := chartTree(t)
	out, report, code := runCLIArgs(t, "report", filepath.Join(dir, "charts", "app"))
	if code == ExitError || !strings.Contains(out, "0 -> 1") {
		t.Errorf("exit %d\n%s\n%s", code, out, report)
	}
}

// TestReportOverlay: psafix report on an overlay builds it and reports the built workload
// with its origin, not the patch (which is no whole workload).
func TestReportOverlay(t *testing.T) {
	tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", "base-inside", "tree"))
	t.Chdir(tmp)
	out, report, code := runCLIArgs(t, "report", "--format", "json", "overlays/prod")
	if code == ExitError {
		t.Fatalf("exit %d\n%s\n%s", code, out, report)
	}
	for _, want := range []string{`"object": "Deployment/web (built, from base/deployment.yaml)"`, `"path": "overlays/prod/kustomization.yaml"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s\n%s", want, out, report)
		}
	}
	if strings.Contains(out, "patch.yaml\"") || !strings.Contains(report, "1 workload in 1 namespace") {
		t.Errorf("the patch was reported as a workload:\n%s\n%s", out, report)
	}
}

// TestConfigChartValues: the values files .psafix.yaml lists for a chart are used when a
// walk meets the chart, and a listed values file given directly (pre-commit) stands for
// its chart; -f replaces them for the run.
func TestConfigChartValues(t *testing.T) {
	tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "charts", "config-values", "tree"))
	t.Chdir(tmp)
	for _, args := range [][]string{{"check", "."}, {"check", "deploy/prod.yaml"}} {
		out, report, code := runCLIArgs(t, args...)
		if code != ExitFindings || !strings.Contains(out, "web/templates/deploy.yaml") || !strings.Contains(out, "deploy/prod.yaml:5") {
			t.Errorf("%v: exit %d\n%s\n%s", args, code, out, report)
		}
	}
	writeTree(t, tmp, map[string]string{"other.yaml": "image:\n  tag: \"2\"\n"})
	out, report, code := runCLIArgs(t, "check", "-f", "other.yaml", "web")
	if code != ExitFindings || strings.Contains(out, "deploy/prod.yaml") {
		t.Errorf("-f did not replace the config's values files: exit %d\n%s\n%s", code, out, report)
	}
}
