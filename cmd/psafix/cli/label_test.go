package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
)

// TestLabelNeverLowersEnforce: a recommendation never lowers an enforce label; --enforce
// does what it says and warns when workloads would be rejected.
func TestLabelNeverLowersEnforce(t *testing.T) {
	dir := t.TempDir()
	in := `apiVersion: v1
kind: Namespace
metadata:
  name: ops
  labels:
    pod-security.kubernetes.io/enforce: restricted
---
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: ghcr.io/acme/agent:1
`
	file := writeFile(t, filepath.Join(dir, "ops.yaml"), in)
	out, report, code := runCLIArgs(t, "label", file)
	if code != ExitOK || !strings.Contains(out, "enforce: restricted\n") || strings.Contains(out, "enforce: baseline") {
		t.Errorf("exit %d: the enforce label must stay restricted:\n%s\n%s", code, out, report)
	}
	out, _, _ = runCLIArgs(t, "report", file)
	if !strings.Contains(out, "keeps enforce=restricted from its label although the workload fails it even after fixing") {
		t.Errorf("report does not say why:\n%s", out)
	}
	out, report, _ = runCLIArgs(t, "label", "--enforce=baseline", file)
	if !strings.Contains(out, "enforce: baseline\n") || !strings.Contains(report, "warning: the workload fails baseline even after fixing") {
		t.Errorf("--enforce baseline:\n%s\n%s", out, report)
	}
}

// TestLabelModes: --diff, --list and --write behave as in a fix run; the diff applies to
// the original and gives what --write writes.
func TestLabelModes(t *testing.T) {
	dir := t.TempDir()
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "fixtures", "rollout", "label", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "k8s.yaml"), string(in))
	other := writeFile(t, filepath.Join(dir, "other.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")

	out, _, code := runCLIArgs(t, "label", "--list", dir)
	if code != ExitFindings || out != file+"\n" {
		t.Errorf("--list: exit %d, %q", code, out)
	}
	diff, _, code := runCLIArgs(t, "label", "--diff", "--color=never", dir)
	if code != ExitFindings || !strings.HasPrefix(diff, "--- a/"+diffPath(file)) {
		t.Errorf("--diff: exit %d\n%s", code, diff)
	}
	stdout, _, _ := runCLIArgs(t, "label", file)
	_, report, code := runCLIArgs(t, "label", "--write", dir)
	if code != ExitOK {
		t.Errorf("--write: exit %d\n%s", code, report)
	}
	got, _ := os.ReadFile(file)
	if string(got) != stdout {
		t.Errorf("--write wrote something else than stdout shows:\n%s", diffview.Unified("stdout", "written", []byte(stdout), got, 3))
	}
	if d := diffview.Unified(diffPath(file), diffPath(file), in, got, 3); d != diff {
		t.Errorf("--diff differs from what --write did:\n%s\nvs\n%s", diff, d)
	}
	if b, _ := os.ReadFile(other); string(b) != "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" {
		t.Errorf("a file without Namespace changed")
	}
	checkOnlyLabelLines(t, file, in, got)
	out, _, code = runCLIArgs(t, "label", "--list", dir)
	if code != ExitOK || out != "" {
		t.Errorf("second run would change: exit %d %q", code, out)
	}
	_, report, code = runCLIArgs(t, "label", "--write")
	if code != ExitError || !strings.Contains(report, "--write cannot rewrite standard input") {
		t.Errorf("--write on stdin: exit %d\n%s", code, report)
	}
}

// labelRanges returns the lines of a file that hold the metadata.labels of Namespace
// objects (the labels key to its last entry).
func labelRanges(t *testing.T, data []byte) map[int]bool {
	t.Helper()
	out := map[int]bool{}
	src := kio.NewSource(data)
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			t.Fatalf("does not parse: %v", err)
		}
		if d.Root == nil {
			continue
		}
		for _, obj := range rollout.NamespaceObjects(d.Root) {
			_, meta := kio.Lookup(obj, "metadata")
			if meta == nil {
				continue
			}
			k, v := kio.Lookup(kio.Resolve(meta), "labels")
			if k == nil {
				continue
			}
			for l := k.Line; l <= d.EndLine(v); l++ {
				out[l] = true
			}
		}
	}
	return out
}

// checkOnlyLabelLines asserts that the line diff from before to after inserts lines only
// under metadata.labels of Namespace objects, and deletes (changes) only lines that were
// there.
func checkOnlyLabelLines(t *testing.T, path string, before, after []byte) (inserted, changed int) {
	t.Helper()
	rb, ra := labelRanges(t, before), labelRanges(t, after)
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToRunes(string(before), string(after))
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(a, b, false), lines)
	lb, la := 1, 1
	for _, d := range diffs {
		n := strings.Count(d.Text, "\n")
		if !strings.HasSuffix(d.Text, "\n") {
			n++
		}
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			for l := lb; l < lb+n; l++ {
				if !rb[l] {
					t.Errorf("%s: line %d deleted or changed outside Namespace labels: %q", path, l, strings.Split(string(before), "\n")[l-1])
				}
			}
			changed += n
			lb += n
		case diffmatchpatch.DiffInsert:
			for l := la; l < la+n; l++ {
				if !ra[l] {
					t.Errorf("%s: line %d inserted outside Namespace labels: %q", path, l, strings.Split(string(after), "\n")[l-1])
				}
			}
			inserted += n
			la += n
		default:
			lb += n
			la += n
		}
	}
	return inserted, changed
}
