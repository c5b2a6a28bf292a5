package chart

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio/kiotest"
)

// TestScalarExplicitRoot: a values scalar the author set to root is kept by default and
// changed in place with --fix-explicit-root, its comment kept; either way the chart's
// other values are edited the same.
func TestScalarExplicitRoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "api")
	if _, err := kiotest.CopyTree(filepath.Join("..", "..", "fixtures", "charts", "scalar-explicit-root", "tree", "api"), dir, nil); err != nil {
		t.Fatal(err)
	}
	const kept = "runAsUser: 0  # the entrypoint still binds port 80 as root\n"
	for _, fix := range []bool{false, true} {
		o := fixers.DefaultOptions()
		o.FixExplicitRoot = fix
		res := Fix(dir, Options{}, fixers.NewEngine(o))
		if res.Err != nil || len(res.Values) != 1 {
			t.Fatalf("fix %v: %v %d", fix, res.Err, len(res.Values))
		}
		got := string(res.Values[0].New)
		if fix == strings.Contains(got, kept) {
			t.Errorf("fix %v:\n%s", fix, got)
		}
		if fix && !strings.Contains(got, "runAsUser: 65532  # the entrypoint still binds port 80 as root\n") {
			t.Errorf("not changed in place:\n%s", got)
		}
	}
}

// TestProbeScalars: probing finds a scalar where a securityContext field shows its value
// (a 0 too, where an explicit root is rendered), and not where an if shows the field only
// for the marker.
func TestProbeScalars(t *testing.T) {
	dir := writeChart(t, map[string]string{
		"values.yaml": "uid: 1000\nstrict: false\nroot: 0\ntight: {}\n",
		"templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext:
    runAsGroup: {{ .Values.uid }}
    {{- if .Values.strict }}
    fsGroup: {{ .Values.strict }}
    {{- end }}
    runAsUser: {{ .Values.root }}
    seccompProfile: {{ toYaml .Values.tight | nindent 6 }}
  containers:
  - name: c
    image: example.com/c:1
`,
	})
	c, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Render(nil)
	if err != nil {
		t.Fatal(err)
	}
	f, _, err := c.probe(r)
	if err != nil {
		t.Fatal(err)
	}
	at := f[place{"chart/templates/pod.yaml", "Pod", "p", "pod"}]
	want := map[string]string{"runAsGroup": "uid", "runAsUser": "root", "seccompProfile": "tight"}
	for sub, vp := range want {
		if got := strings.Join(at[sub], "."); got != vp {
			t.Errorf("%s fed by %q, want %q", sub, got, vp)
		}
	}
	if len(at) != len(want) {
		t.Errorf("feeds %v", at)
	}
}

// writeChart writes a chart named "chart" with files (slash-separated, relative to it) and
// returns its folder.
func writeChart(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "chart")
	files["Chart.yaml"] = "apiVersion: v2\nname: chart\nversion: 0.1.0\n"
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

// TestScalarNullInValuesFile: a -f file that empties a default scalar (runAsUser: null) is
// where the value goes, and probing it does not make Helm warn of a map over a scalar.
func TestScalarNullInValuesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "api")
	if _, err := kiotest.CopyTree(filepath.Join("..", "..", "fixtures", "charts", "scalar-values", "tree", "api"), dir, nil); err != nil {
		t.Fatal(err)
	}
	vp := filepath.Join(dir, "values.yaml")
	b, _ := os.ReadFile(vp)
	os.WriteFile(vp, []byte(strings.Replace(string(b), "runAsUser:\n", "runAsUser: 1000\n", 1)), 0o644)
	prod := filepath.Join(filepath.Dir(dir), "prod.yaml")
	os.WriteFile(prod, []byte("# prod\nrunAsUser: null  # the image's own\n"), 0o644)
	var logs bytes.Buffer
	log.SetOutput(&logs)
	defer log.SetOutput(os.Stderr)
	res := Fix(dir, Options{ValuesFiles: []string{prod}}, fixers.NewEngine(fixers.DefaultOptions()))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var got string
	for _, v := range res.Values {
		if v.Path == prod {
			got = string(v.New)
		}
	}
	if got != "# prod\nrunAsUser: 65532  # the image's own\n" {
		t.Errorf("prod.yaml:\n%s", got)
	}
	if logs.Len() > 0 {
		t.Errorf("Helm logged:\n%s", logs.String())
	}
}

// TestProbeBudget: a chart whose rendering breaks for every probe is probed within the
// budget of renderings, and the values left out are said.
func TestProbeBudget(t *testing.T) {
	var vals strings.Builder
	vals.WriteString("podSecurityContext: {}\nnums:\n")
	for i := range 400 {
		fmt.Fprintf(&vals, "  n%03d: %d\n", i, i+1)
	}
	dir := writeChart(t, map[string]string{
		"values.yaml": vals.String(),
		"templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: nums
data:
  {{- range $k, $v := .Values.nums }}
  {{ $k }}: {{ if gt $v 0.0 }}"positive"{{ end }}
  {{- end }}
`,
		"templates/pod.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  securityContext: {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
  - name: c
    image: example.com/c:1
`,
	})
	defer func(n int) { probeBudget = n }(probeBudget)
	probeBudget = 16 // the 400 values would need some 800 renderings
	res := Check(dir, Options{}, fixers.NewEngine(fixers.DefaultOptions()))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var said bool
	for _, n := range res.Notes {
		said = said || strings.Contains(n.Message, "values were not probed")
	}
	if !said {
		t.Errorf("no note of the values left out: %v", res.Notes)
	}
}
