package fixers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// viaJSON is the reference: the decoded YAML written as JSON and read back by encoding/json.
func viaJSON(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// sameAsJSON checks that decodeTyped either gives up or gives what encoding/json gives, for
// the metadata and spec of a pod template value.
func sameAsJSON(t *testing.T, name string, tmpl map[string]any) (direct bool) {
	t.Helper()
	direct = true
	for _, part := range []struct {
		key string
		new func() any
	}{
		{"metadata", func() any { return &metav1.ObjectMeta{} }},
		{"spec", func() any { return &corev1.PodSpec{} }},
	} {
		v := tmpl[part.key]
		fast, slow := part.new(), part.new()
		errSlowPath := viaJSON(v, slow)
		if err := decodeTyped(v, fast); err != nil {
			direct = false
			continue
		}
		if errSlowPath != nil {
			t.Errorf("%s %s: the direct path accepted what encoding/json refuses: %v", name, part.key, errSlowPath)
			continue
		}
		if diff := cmp.Diff(slow, fast); diff != "" {
			t.Errorf("%s %s: direct decode differs from encoding/json (-json +direct):\n%s", name, part.key, diff)
		}
	}
	return direct
}

func TestDecodeTypedCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		yaml   string
		direct bool // whether the direct path takes it
	}{
		{"plain", "spec:\n  containers:\n  - name: a\n    image: x\n    ports: [{containerPort: 80}]\n", true},
		{"quantities and intorstring", "spec:\n  containers:\n  - name: a\n    resources: {limits: {cpu: 100m, memory: 1Gi}, requests: {cpu: 1}}\n    livenessProbe: {httpGet: {port: http}}\n    readinessProbe: {tcpSocket: {port: 8080}}\n", true},
		{"nulls", "metadata: null\nspec:\n  securityContext: null\n  containers: null\n  volumes: ~\n", true},
		{"labels", "metadata:\n  labels: {app: web}\n  annotations: {a: 'b'}\nspec:\n  nodeSelector: {x: z}\n  containers: []\n", true},
		{"ephemeral inline", "spec:\n  ephemeralContainers:\n  - name: dbg\n    image: busybox\n    targetContainerName: a\n    securityContext: {privileged: true}\n", true},
		{"time", "metadata:\n  creationTimestamp: null\n  deletionTimestamp: '2024-01-02T03:04:05Z'\nspec: {}\n", true},
		{"wrong case key", "spec:\n  securityContext: {RunAsNonRoot: true}\n", false},
		{"string for int", "spec:\n  containers:\n  - name: a\n    ports: [{containerPort: '80'}]\n", false},
		{"int for string", "spec:\n  containers:\n  - name: 7\n", false},
		{"bool for string label", "metadata:\n  labels: {a: true}\n", false},
		{"overflow", "spec:\n  securityContext: {runAsUser: 99999999999999999999999}\n", false},
		{"fraction for int", "spec:\n  securityContext: {runAsUser: 1.5}\n", false},
		{"negative uid", "spec:\n  securityContext: {runAsUser: -1}\n", true},
		{"map for list", "spec:\n  containers: {name: a}\n", false},
		{"unknown field", "spec:\n  notAField: 1\n  containers: [{name: a, alsoNot: [1]}]\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := decodeYAML(t, tc.yaml)
			if got := sameAsJSON(t, tc.name, v); got != tc.direct {
				t.Errorf("direct path taken: %v, want %v", got, tc.direct)
			}
		})
	}
}

func decodeYAML(t *testing.T, text string) map[string]any {
	t.Helper()
	src := kio.NewSource([]byte(text))
	d, err := kio.ParseDocument(src, kio.Split(src.Data)[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	v, err := kio.ToValue(d.Root)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := v.(map[string]any)
	return m
}

// TestDecodeTypedSameAsJSON decodes every pod template psafix can find (this repository's
// fixtures, the upstream PSA fixtures, the shared corpus when PSAFIX_CORPUS is set) both
// ways and compares the objects.
func TestDecodeTypedSameAsJSON(t *testing.T) {
	var pods, direct int
	check := func(t *testing.T, name string, data []byte) {
		src := kio.NewSource(data)
		for j, seg := range kio.Split(src.Data) {
			d, err := kio.ParseDocument(src, seg, j)
			if err != nil || d.Root == nil {
				continue
			}
			v, err := kio.ToValue(d.Root)
			if err != nil {
				continue
			}
			for _, w := range kio.FindWorkloads(d) {
				if tmpl := at(v, w.Path); tmpl != nil {
					pods++
					if sameAsJSON(t, name, tmpl) {
						direct++
					}
				}
			}
		}
	}
	walk := func(t *testing.T, root string) {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
				return err
			}
			data, err := os.ReadFile(p)
			if err == nil {
				check(t, p, data)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Run("fixtures", func(t *testing.T) { walk(t, "../fixtures") })
	t.Run("upstream", func(t *testing.T) {
		for _, f := range loadUpstreamFixtures(t) {
			check(t, f.Name(), f.Data)
		}
	})
	t.Run("corpus", func(t *testing.T) {
		c := os.Getenv("PSAFIX_CORPUS")
		if c == "" {
			t.Skip("PSAFIX_CORPUS not set")
		}
		walk(t, filepath.Join(c, "corpus"))
	})
	if pods < 100 {
		t.Fatalf("only %d pod templates found", pods)
	}
	t.Logf("%d pod templates, %d decoded on the direct path, the same as encoding/json", pods, direct)
}

// BenchmarkDecodePod decodes generated Deployments' pod templates into the typed objects PSA
// checks, from already decoded YAML values: "direct" is decodeTyped, "json" the JSON round
// trip it replaces. (make bench)
func BenchmarkDecodePod(b *testing.B) {
	var tmpls []map[string]any
	for _, d := range kiotest.Deployments(100, 1) {
		src := kio.NewSource(d)
		doc, err := kio.ParseDocument(src, kio.Split(src.Data)[0], 0)
		if err != nil {
			b.Fatal(err)
		}
		v, err := kio.ToValue(doc.Root)
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range kio.FindWorkloads(doc) {
			tmpls = append(tmpls, at(v, w.Path))
		}
	}
	for _, c := range []struct {
		name   string
		decode func(v, out any) error
	}{{"direct", decodeTyped}, {"json", viaJSON}} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				t := tmpls[i%len(tmpls)]
				if err := c.decode(t["metadata"], &metav1.ObjectMeta{}); err != nil {
					b.Fatal(err)
				}
				if err := c.decode(t["spec"], &corev1.PodSpec{}); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(i)/s, "pods/s")
			}
		})
	}
}
