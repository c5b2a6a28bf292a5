package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// TestRoot: a file or folder inside a chart belongs to it; a sub-chart to its parent.
func TestRoot(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"app/Chart.yaml", "app/charts/db/Chart.yaml", "plain/x.yaml", "app/templates/d.yaml", "app/charts/db/templates/s.yaml"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x: 1\n"), 0o644)
	}
	app := filepath.Join(dir, "app")
	for in, want := range map[string]string{
		"app/templates/d.yaml":           app,
		"app":                            app,
		"app/charts/db/templates/s.yaml": app,
		"plain/x.yaml":                   "",
	} {
		got, ok := Root(filepath.Join(dir, in))
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("Root(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestSharedCharts fixes the real charts of the shared corpus at the source: only
// values.yaml changes, every comment stays, the chart still renders, the rendering differs
// only in security fields (Fix checks it), and a second run changes nothing.
func TestSharedCharts(t *testing.T) {
	shared := os.Getenv("PSAFIX_CORPUS")
	if shared == "" {
		t.Skip("PSAFIX_CORPUS not set")
	}
	engine := fixers.NewEngine(fixers.DefaultOptions())
	for _, name := range []string{"ingress-nginx", "argo-rollouts", "argo-workflows"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if _, err := kiotest.CopyTree(filepath.Join(shared, "charts", name), dir, nil); err != nil {
				t.Fatal(err)
			}
			before := Check(dir, Options{}, engine)
			if before.Err != nil {
				t.Fatal(before.Err)
			}
			res := Fix(dir, Options{}, engine)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, v := range res.Values {
				if filepath.Base(v.Path) != "values.yaml" {
					t.Errorf("edited %s, not a values file", v.Path)
				}
				for _, c := range kio.Comments(v.Old) {
					if !strings.Contains(string(v.New), c) {
						t.Errorf("%s: comment lost: %s", v.Path, c)
					}
				}
				if err := os.WriteFile(v.Path, v.New, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			after := Check(dir, Options{}, engine)
			if after.Err != nil {
				t.Fatal(after.Err)
			}
			if n, m := violations(before), violations(after); m > n || (len(res.Values) > 0 && m == n) {
				t.Errorf("violations %d before, %d after", n, m)
			}
			if again := Fix(dir, Options{}, engine); len(again.Values) > 0 {
				t.Errorf("second run changes %s", again.Values[0].Path)
			}
		})
	}
}

func violations(r *Result) int {
	n := 0
	for _, fr := range r.Rendered {
		n += len(fr.Before)
	}
	return n
}

// BenchmarkCheck20 renders and checks a chart of 20 templates (the bar: under a
// second).
func BenchmarkCheck20(b *testing.B) {
	dir := benchChart(b)
	engine := fixers.NewEngine(fixers.DefaultOptions())
	b.ResetTimer()
	for b.Loop() {
		if r := Check(dir, Options{}, engine); r.Err != nil || len(r.Rendered) != 20 {
			b.Fatal(r.Err, len(r.Rendered))
		}
	}
}

// BenchmarkFix20 fixes the same chart at the source in memory: render, probe (maps, then
// scalars), edit values.yaml, render again and verify.
func BenchmarkFix20(b *testing.B) {
	dir := benchChart(b)
	engine := fixers.NewEngine(fixers.DefaultOptions())
	b.ResetTimer()
	for b.Loop() {
		if r := Fix(dir, Options{}, engine); r.Err != nil || len(r.Values) != 1 {
			b.Fatal(r.Err, len(r.Values))
		}
	}
}

// benchChart writes a chart of 20 Deployments fed by two values maps.
func benchChart(b *testing.B) string {
	dir := b.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte("apiVersion: v2\nname: bench\nversion: 0.1.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "values.yaml"), []byte("securityContext: {}\npodSecurityContext: {}\n"), 0o644)
	for i := range 20 {
		tpl := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-d%d
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext: {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: c
          image: example.com/c:%d
          {{- with .Values.securityContext }}
          securityContext: {{- toYaml . | nindent 12 }}
          {{- end }}
`, i, i)
		os.WriteFile(filepath.Join(dir, "templates", fmt.Sprintf("d%02d.yaml", i)), []byte(tpl), 0o644)
	}
	return dir
}

// TestHelmCreateScaffold fixes the chart "helm create" writes (Helm's own scaffold code):
// only values.yaml changes, its comments stay, the Deployment passes restricted once
// rendered again, and a second run changes nothing. The scaffold's test pod (a literal
// busybox container) is reported with the snippet to add, not edited.
func TestHelmCreateScaffold(t *testing.T) {
	dir, err := chartutil.Create("app", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// With a non-root image, as the issue asks: the official nginx image needs root.
	vp := filepath.Join(dir, "values.yaml")
	vals, _ := os.ReadFile(vp)
	if !strings.Contains(string(vals), "repository: nginx\n") {
		t.Fatalf("scaffold values changed:\n%s", vals)
	}
	os.WriteFile(vp, []byte(strings.Replace(string(vals), "repository: nginx\n", "repository: nginxinc/nginx-unprivileged\n", 1)), 0o644)
	engine := fixers.NewEngine(fixers.DefaultOptions())
	res := Fix(dir, Options{}, engine)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Values) != 1 || filepath.Base(res.Values[0].Path) != "values.yaml" {
		t.Fatalf("values edited: %v", res.Values)
	}
	v := res.Values[0]
	for _, c := range kio.Comments(v.Old) {
		if !strings.Contains(string(v.New), c) {
			t.Errorf("comment lost: %s", c)
		}
	}
	os.WriteFile(v.Path, v.New, 0o644)
	after := Check(dir, Options{}, engine)
	for _, fr := range after.Rendered {
		if strings.HasSuffix(fr.Path, "deployment.yaml") && len(fr.Before) > 0 {
			t.Errorf("the Deployment still fails: %v", fr.Before)
		}
	}
	if again := Fix(dir, Options{}, engine); len(again.Values) > 0 {
		t.Errorf("second run changes values.yaml")
	}
}
