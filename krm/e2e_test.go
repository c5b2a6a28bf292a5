package krm_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// kustomizeVersion is the kustomize the end-to-end test runs. Newer ones need Go 1.27.
const kustomizeVersion = "v5.8.2"

// kustomizeBinary returns a kustomize built from source with go install, cached under the
// temporary directory so that only the first run builds it. PSAFIX_KUSTOMIZE names one to
// use instead. Without network (and without a cached binary) the test skips.
func kustomizeBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PSAFIX_KUSTOMIZE"); p != "" {
		return p
	}
	dir := filepath.Join(os.TempDir(), "psafix-test-cache", "kustomize-"+kustomizeVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
	bin := filepath.Join(dir, "kustomize")
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gobin, err := os.MkdirTemp(dir, "gobin-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(gobin)
	cmd := exec.Command("go", "install", "sigs.k8s.io/kustomize/kustomize/v5@"+kustomizeVersion)
	cmd.Dir = gobin // outside psafix's module: go install pkg@version builds kustomize's own
	// The build's settings are the tests' own (no CGO_ENABLED=0): kustomize's dependencies
	// shared with psafix (kyaml, api, k8s) come from the build cache instead of a second
	// compile of all of them.
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOTOOLCHAIN=local", "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if noNetwork(string(out)) {
			t.Skipf("cannot install kustomize %s (no network?); set PSAFIX_KUSTOMIZE to a kustomize binary to run this test:\n%s", kustomizeVersion, out)
		}
		t.Fatalf("go install sigs.k8s.io/kustomize/kustomize/v5@%s: %v\n%s", kustomizeVersion, err, out)
	}
	// Rename: a concurrent run sees either no binary or a whole one.
	if err := os.Rename(filepath.Join(gobin, "kustomize"), bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

func noNetwork(out string) bool {
	for _, s := range []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "network is unreachable", "proxyconnect", "TLS handshake timeout", "GOPROXY=off", "Get \"https://", "connection reset"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// buildPsafix builds the psafix command into dir.
func buildPsafix(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "psafix")
	// With the tests' own settings, so that the build cache the tests filled serves it.
	cmd := exec.Command("go", "build", "-o", bin, "github.com/psafix/psafix/cmd/psafix")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build psafix: %v\n%s", err, out)
	}
	return bin
}

// copyTree copies testdata/kustomize to dir and puts psafix next to every kustomization
// whose transformer runs it.
func copyTree(t *testing.T, src, dst, psafix string) {
	t.Helper()
	bin, err := os.ReadFile(psafix)
	if err != nil {
		t.Fatal(err)
	}
	_, err = kiotest.CopyTree(src, dst, func(target string, d fs.DirEntry) error {
		if d.Name() == "psafix.yaml" {
			return os.WriteFile(filepath.Join(filepath.Dir(target), "psafix"), bin, 0o755)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func kustomizeBuild(t *testing.T, kustomize, dir string, withFunctions bool) (string, string, error) {
	t.Helper()
	args := []string{"build"}
	if withFunctions {
		args = append(args, "--enable-alpha-plugins", "--enable-exec")
	}
	cmd := exec.Command(kustomize, append(args, dir)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// object is one document of kustomize's output.
type object struct {
	id   string // Kind/namespace/name
	doc  *kio.Document
	text string
}

func parseStream(t *testing.T, out string) map[string]*object {
	t.Helper()
	src := kio.NewSource([]byte(out))
	objs := map[string]*object{}
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			t.Fatalf("kustomize output document %d: %v", i, err)
		}
		if d.Root == nil {
			continue
		}
		id := scalarAt(d.Root, "kind") + "/" + scalarAt(d.Root, "metadata", "namespace") + "/" + scalarAt(d.Root, "metadata", "name")
		objs[id] = &object{id: id, doc: d, text: string(src.Data[seg.Start:seg.End])}
	}
	return objs
}

func scalarAt(n *yaml.Node, path ...string) string {
	for _, k := range path {
		if _, n = kio.Lookup(n, k); n == nil {
			return ""
		}
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// checkLevel evaluates every workload of objs at level and returns the failures.
func checkLevel(t *testing.T, objs map[string]*object, level api.Level) (workloads int, failures []string) {
	t.Helper()
	ev := fixers.NewEvaluator()
	lv := api.LevelVersion{Level: level, Version: api.LatestVersion()}
	for id, o := range objs {
		for _, w := range kio.FindWorkloads(o.doc) {
			workloads++
			meta, spec, err := fixers.DecodePod(w)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			for _, f := range ev.Evaluate(lv, meta, spec) {
				failures = append(failures, id+": ["+string(f.ID)+"] "+f.Reason+" ("+f.Detail+")")
			}
		}
	}
	return workloads, failures
}

// TestKustomizeEndToEnd runs the real kustomize with psafix as an exec transformer.
func TestKustomizeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kustomize and psafix; skipped with -short")
	}
	kustomize := kustomizeBinary(t)
	tmp := t.TempDir()
	psafix := buildPsafix(t, tmp)
	root := filepath.Join(tmp, "kustomize")
	copyTree(t, filepath.Join("testdata", "kustomize"), root, psafix)

	baseOut, stderr, err := kustomizeBuild(t, kustomize, filepath.Join(root, "base"), false)
	if err != nil {
		t.Fatalf("kustomize build base: %v\n%s", err, stderr)
	}
	base := parseStream(t, baseOut)
	if n, fails := checkLevel(t, base, api.LevelBaseline); n != 2 || len(fails) == 0 {
		t.Fatalf("the base should have 2 workloads failing baseline; has %d, failing: %q", n, fails)
	}

	// compare checks that the function changed nothing but the security fields of the
	// workloads: every other object comes back as the base build has it.
	compare := func(t *testing.T, got map[string]*object, writable []string) {
		t.Helper()
		if len(got) != len(base) {
			t.Errorf("%d objects, the base build has %d", len(got), len(base))
		}
		for id, b := range base {
			g := got[id]
			if g == nil {
				t.Errorf("%s is missing from the output", id)
				continue
			}
			if len(kio.FindWorkloads(b.doc)) == 0 {
				if g.text != b.text {
					t.Errorf("%s is not a workload but changed:\n--- base\n%s\n--- with psafix\n%s", id, b.text, g.text)
				}
				continue
			}
			if d := fixers.SameOutsideOwned(b.doc, g.doc, writable); d != "" {
				t.Errorf("%s changed outside the security fields: %s", id, d)
			}
			if strings.Contains(g.text, "config.kubernetes.io/") || strings.Contains(g.text, "config.k8s.io/id") {
				t.Errorf("%s: kustomize's internal annotations leaked:\n%s", id, g.text)
			}
		}
	}

	t.Run("restricted", func(t *testing.T) {
		out, stderr, err := kustomizeBuild(t, kustomize, filepath.Join(root, "fixed"), true)
		if err != nil {
			t.Fatalf("kustomize build: %v\n%s", err, stderr)
		}
		// On success, standard error carries only the notes (kustomize drops info results).
		for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if l != "" && !strings.Contains(l, ": note: ") {
				t.Errorf("stderr should hold only notes on success, has:\n%s", l)
			}
		}
		if !strings.Contains(stderr, "risky edit: securityContext.readOnlyRootFilesystem: true") {
			t.Errorf("the risky read-only root edits should be told on stderr:\n%s", stderr)
		}
		got := parseStream(t, out)
		n, fails := checkLevel(t, got, api.LevelRestricted)
		if n != 2 || len(fails) > 0 {
			t.Errorf("%d workloads; every one must pass restricted, failing: %q\n%s", n, fails, out)
		}
		compare(t, got, []string{"/tmp", "/var/cache/web"})
		if !strings.Contains(out, "mountPath: /var/cache/web") {
			t.Errorf("the PSAFix's writablePaths were not used:\n%s", out)
		}
	})

	t.Run("baseline-configmap", func(t *testing.T) {
		out, stderr, err := kustomizeBuild(t, kustomize, filepath.Join(root, "baseline"), true)
		if err != nil {
			t.Fatalf("kustomize build: %v\n%s", err, stderr)
		}
		got := parseStream(t, out)
		if n, fails := checkLevel(t, got, api.LevelBaseline); n != 2 || len(fails) > 0 {
			t.Errorf("%d workloads; every one must pass baseline, failing: %q\n%s", n, fails, out)
		}
		// Only baseline was asked for: restricted still fails, and read-only-root was skipped.
		if _, fails := checkLevel(t, got, api.LevelRestricted); len(fails) == 0 {
			t.Errorf("the ConfigMap's level was not used: the output passes restricted:\n%s", out)
		}
		if strings.Contains(out, "readOnlyRootFilesystem") {
			t.Errorf("the ConfigMap's skip was not used:\n%s", out)
		}
		compare(t, got, []string{"/tmp"})
	})

	t.Run("unfixable", func(t *testing.T) {
		out, stderr, err := kustomizeBuild(t, kustomize, filepath.Join(root, "unfixable"), true)
		if err == nil {
			t.Fatalf("kustomize build succeeded with a hostPath volume left:\n%s", out)
		}
		for _, want := range []string{
			`psafix: DaemonSet/ops/log-agent: [restrictedVolumes] restricted volume types (volume "varlog" uses restricted volume type "hostPath")`,
			"violations remain at restricted",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if out != "" {
			t.Errorf("a failed build printed manifests:\n%s", out)
		}
	})
}
