package krm

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kykio "sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

var update = flag.Bool("update", false, "rewrite the want files of testdata/resourcelist (never the inputs)")

func run(input []byte) (string, string, int) {
	var out, errb bytes.Buffer
	code := Run(bytes.NewReader(input), &out, &errb)
	return out.String(), errb.String(), code
}

func compare(t *testing.T, path, got string) {
	t.Helper()
	kiotest.Golden(t, path, got, *update, "go test ./krm -run TestResourceLists -update creates it")
}

// TestResourceLists runs the function on each testdata/resourcelist/*/input.yaml and
// compares standard output with want.yaml and standard error, then the exit code, with
// want.report. Every case also gets the invariants a KRM function owes its caller.
func TestResourceLists(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "resourcelist", "*", "input.yaml"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, in := range inputs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, stderr, code := run(input)
			compare(t, filepath.Join(dir, "want.yaml"), out)
			compare(t, filepath.Join(dir, "want.report"), fmt.Sprintf("%sexit: %d\n", stderr, code))
			if stderr != "" && !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr must end with a newline: %q", stderr)
			}
			if code == ExitError {
				if out != "" {
					t.Errorf("unreadable input, yet output:\n%s", out)
				}
				return
			}
			checkInvariants(t, input, out, code, stderr)
		})
	}
}

func readList(t *testing.T, data []byte) (*kykio.ByteReadWriter, []*yaml.RNode) {
	t.Helper()
	rw := &kykio.ByteReadWriter{Reader: bytes.NewReader(normalize(data)), OmitReaderAnnotations: true, KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		t.Fatal(err)
	}
	return rw, items
}

func results(t *testing.T, rw *kykio.ByteReadWriter) framework.Results {
	t.Helper()
	var rs framework.Results
	if rw.Results != nil {
		if err := rw.Results.Document().Decode(&rs); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

func checkInvariants(t *testing.T, input []byte, out string, code int, stderr string) {
	t.Helper()
	inRW, inItems := readList(t, input)
	outRW, outItems := readList(t, []byte(out))
	if outRW.WrappingKind != kykio.ResourceListKind || outRW.WrappingAPIVersion != inRW.WrappingAPIVersion {
		t.Errorf("output is a %s %s, not the input's ResourceList", outRW.WrappingAPIVersion, outRW.WrappingKind)
	}
	if len(inItems) != len(outItems) {
		t.Fatalf("%d items in, %d out", len(inItems), len(outItems))
	}
	if got, want := outRW.FunctionConfig.MustString(), inRW.FunctionConfig.MustString(); got != want {
		t.Errorf("functionConfig changed (-in +out):\n%s", cmp.Diff(want, got))
	}
	badConfig := strings.Contains(stderr, "bad functionConfig")
	if rs := results(t, outRW); (code == ExitFindings) != (rs.ExitCode() == 1) {
		t.Errorf("exit %d, but the results' exit code is %d", code, rs.ExitCode())
	}
	for i := range inItems {
		a, b := inItems[i].MustString(), outItems[i].MustString()
		if badConfig && a != b {
			t.Errorf("item %d changed with a bad functionConfig (-in +out):\n%s", i, cmp.Diff(a, b))
		}
		if len(kio.FindWorkloads(&kio.Document{Root: inItems[i].YNode()})) == 0 && a != b {
			t.Errorf("item %d is not a workload but changed (-in +out):\n%s", i, cmp.Diff(a, b))
		}
		if diff := cmp.Diff(keptAnnotations(inItems[i]), keptAnnotations(outItems[i])); diff != "" {
			t.Errorf("item %d: annotations changed (-in +out):\n%s", i, diff)
		}
		if diff := cmp.Diff(kio.Comments([]byte(a)), kio.Comments([]byte(b))); diff != "" {
			t.Errorf("item %d: comments changed (-in +out):\n%s", i, diff)
		}
	}
	if badConfig {
		return
	}
	// A second run finds nothing more to fix.
	again := &kykio.ByteReadWriter{WrappingKind: kykio.ResourceListKind, WrappingAPIVersion: inRW.WrappingAPIVersion, FunctionConfig: inRW.FunctionConfig, KeepReaderAnnotations: true}
	var buf bytes.Buffer
	again.Writer = &buf
	if err := again.Write(outItems); err != nil {
		t.Fatal(err)
	}
	out2, _, code2 := run(buf.Bytes())
	rw2, items2 := readList(t, []byte(out2))
	if code2 != code {
		t.Errorf("second run exits %d, the first %d", code2, code)
	}
	for i := range items2 {
		if a, b := outItems[i].MustString(), items2[i].MustString(); a != b {
			t.Errorf("second run changed item %d (-first +second):\n%s", i, cmp.Diff(a, b))
		}
	}
	for _, r := range results(t, rw2) {
		if r.Severity == framework.Info && r.Tags["fixer"] != "" && strings.Contains(r.Message, "fixed by") {
			t.Errorf("second run fixed something: %s", r)
		}
	}
}

func TestIsResourceList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n", true},
		{"\xef\xbb\xbf# a comment\n---\napiVersion: config.kubernetes.io/v1alpha1\nkind: ResourceList\n", true},
		{"{\"apiVersion\": \"config.kubernetes.io/v1\", \"kind\": \"ResourceList\", \"items\": []}", true},
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n---\n", true},
		{"kind: ResourceList\napiVersion: config.kubernetes.io/v1\n---\n# only a comment\n", true},
		{"apiVersion: v1\nkind: List\nitems: []\n", false},
		{"apiVersion: example.com/v1\nkind: ResourceList\n", false},
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n---\napiVersion: v1\nkind: Pod\n", false},
		{"apiVersion: v1\nkind: Pod\n---\napiVersion: config.kubernetes.io/v1\nkind: ResourceList\n", false},
		{"apiVersion: v1\nkind: ConfigMap\ndata:\n  kind: ResourceList\n", false},
		{"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: [\n", false},
		{"- kind: ResourceList\n", false},
		{"", false},
	} {
		if got := IsResourceList([]byte(c.in)); got != c.want {
			t.Errorf("IsResourceList(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// TestAnnotationsAsTheyCame checks, item by item, that everything kyaml's reader and writer
// could add or strip (index, path, id, seqindent and migration annotations, in both their
// legacy and internal forms) comes back exactly, on a fixed item and on an untouched one.
func TestAnnotationsAsTheyCame(t *testing.T) {
	annotations := `      config.kubernetes.io/index: '3'
      internal.config.kubernetes.io/index: '3'
      config.kubernetes.io/path: 'a/b.yaml'
      internal.config.kubernetes.io/path: 'a/b.yaml'
      config.k8s.io/id: '7'
      internal.config.kubernetes.io/id: '7'
      internal.config.kubernetes.io/annotations-migration-resource-id: '0'
      internal.config.kubernetes.io/seqindent: 'wide'
      kustomize.config.k8s.io/id: |
        kind: Pod
        name: p
        version: v1
      example.com/owner: team-a
`
	for _, only := range []string{"legacy", "internal", "both"} {
		t.Run(only, func(t *testing.T) {
			var ann []string
			for _, l := range strings.SplitAfter(annotations, "\n") {
				switch {
				case only == "legacy" && strings.Contains(l, "internal.config"):
				case only == "internal" && (strings.HasPrefix(strings.TrimSpace(l), "config.kubernetes.io/") || strings.HasPrefix(strings.TrimSpace(l), "config.k8s.io/")):
				default:
					ann = append(ann, l)
				}
			}
			a := strings.Join(ann, "")
			in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" +
				"- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    annotations:\n" + a +
				"  spec:\n    containers:\n    - name: c\n      image: busybox\n" +
				"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    annotations:\n" + a +
				"  type: Opaque\n"
			out, stderr, code := run([]byte(in))
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			_, inItems := readList(t, []byte(in))
			_, outItems := readList(t, []byte(out))
			for i := range inItems {
				if diff := cmp.Diff(inItems[i].GetAnnotations(), outItems[i].GetAnnotations()); diff != "" {
					t.Errorf("item %d: annotations changed (-in +out):\n%s", i, diff)
				}
			}
			if !strings.Contains(outItems[0].MustString(), "runAsNonRoot: true") {
				t.Errorf("the Pod was not fixed:\n%s", out)
			}
			if a, b := inItems[1].MustString(), outItems[1].MustString(); a != b {
				t.Errorf("the Secret changed (-in +out):\n%s", cmp.Diff(a, b))
			}
			// Results locate the file from either form of the annotations.
			if !strings.Contains(out, "file:\n    path: a/b.yaml\n    index: 3\n") {
				t.Errorf("results do not name the file a/b.yaml, index 3:\n%s", out)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	parse := func(s string) error {
		n, err := yaml.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Options(n)
		return err
	}
	for _, ok := range []string{
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nmetadata: {name: x}\n",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  level: baseline\n  version: v1.25\n  fixers: seccomp, capabilities\n  skip: []\n  runAsUser: 1000\n  writablePaths: /tmp,/cache\n",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  runAsUser: none\n  level:\n",
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  level: restricted\n  fixers: seccomp,capabilities\n  writable-paths: /tmp, /cache\n  run-as-user: none\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: function-input}\n",
		"{}\n",
	} {
		if err := parse(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for in, want := range map[string]string{
		"apiVersion: psafix.dev/v1\nkind: PSAFix\n":                                      `apiVersion must be psafix.dev/v1alpha1, not "psafix.dev/v1"`,
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nlevel: baseline\n":               `unknown field "level" at the top level; the options go under spec`,
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec: [a]\n":                     "spec must be a mapping, not a list",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  writable-paths: /x\n":   "unknown field spec.writable-paths (did you mean writablePaths?)",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  level: [baseline]\n":    "spec.level must be a string, not a list",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  fixers: {a: b}\n":       "spec.fixers must be a list of strings, not a mapping",
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  runAsUser: 0\n":         `run-as-user must be a non-zero UID or 'none', not "0"`,
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  version: 1.30\n":        `version must be latest or v1.N, not "1.30"`,
		"apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\nspec:\n  writablePaths: [tmp]\n": `writable path must be absolute, not "tmp"`,
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  writable-path: /x\n":                  "unknown key data.writable-path (did you mean writable-paths?)",
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  level: privileged\n":                  `ConfigMap: level must be restricted or baseline, not "privileged"`,
		"apiVersion: v1\nkind: Secret\n":                                                 "its kind must be PSAFix (apiVersion: psafix.dev/v1alpha1) or ConfigMap (apiVersion: v1), not v1 Secret",
		"- a\n":                                                                          "it must be a mapping (a PSAFix or a ConfigMap), not a list",
	} {
		err := parse(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "bad functionConfig: ") {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
}
