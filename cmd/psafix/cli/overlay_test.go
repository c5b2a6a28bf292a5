package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/sources/overlay"
)

// TestOverlayPatchBaseOutside is the end-to-end test of a base outside the paths: the diff
// of psafix --diff OVERLAY applies with git apply and gives what --write writes; the
// overlay then builds with kustomize's API and passes restricted, its base and patch
// untouched; a second run changes nothing.
func TestOverlayPatchBaseOutside(t *testing.T) {
	tmp, files := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", "base-outside", "tree"))
	t.Chdir(tmp)
	diff, report, code := runCLIArgs(t, "--diff", "overlays/prod")
	if code != ExitFindings || !strings.Contains(diff, "+++ b/overlays/prod/psafix-patch.yaml") {
		t.Fatalf("exit %d\n%s\n%s", code, diff, report)
	}
	if strings.Contains(report, "# Warning") {
		t.Errorf("kustomize's warning reached standard error as is:\n%s", report)
	}

	// git apply takes the diff, in a repository of its own.
	if git, err := exec.LookPath("git"); err == nil {
		repo, _ := copyTree(t, tmp)
		for _, args := range [][]string{{"init", "-q"}, {"apply", "--check", "-"}, {"apply", "-"}} {
			cmd := exec.Command(git, args...)
			cmd.Dir, cmd.Stdin = repo, strings.NewReader(diff)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		defer func() {
			for _, f := range []string{"overlays/prod/psafix-patch.yaml", "overlays/prod/kustomization.yaml"} {
				a, _ := os.ReadFile(filepath.Join(repo, f))
				b, _ := os.ReadFile(filepath.Join(tmp, f))
				if string(a) != string(b) {
					t.Errorf("%s: git apply of --diff gives\n%s\n--write gives\n%s", f, a, b)
				}
			}
		}()
	} else {
		t.Log("no git: git apply not tested")
	}

	if _, report, code := runCLIArgs(t, "--write", "overlays/prod"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	for _, f := range []string{"base/deployment.yaml", "overlays/prod/patch.yaml"} {
		if now, _ := os.ReadFile(f); string(now) != string(files[filepath.Join(tmp, f)]) {
			t.Errorf("%s changed:\n%s", f, now)
		}
	}
	built, err := overlay.Build("overlays/prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"runAsUser: 1000", "readOnlyRootFilesystem: false", "medium: Memory", "runAsNonRoot: true", "- ALL"} {
		if !strings.Contains(string(built), want) {
			t.Errorf("built overlay lacks %q:\n%s", want, built)
		}
	}
	if strings.Count(string(built), "emptyDir") != 1 {
		t.Errorf("a volume got two sources:\n%s", built)
	}
	if out, report, code := runCLIArgs(t, "check", "--level", "restricted", "overlays/prod"); code != ExitOK {
		t.Errorf("built overlay fails restricted: exit %d\n%s\n%s", code, out, report)
	}
	if out, report, code := runCLIArgs(t, "--diff", "overlays/prod"); out != "" || code != ExitOK {
		t.Errorf("second run: exit %d\n%s\n%s", code, out, report)
	}
}

// TestOverlayPatchInPlace: psafix's own patch from an earlier run is edited in place when
// the base gains a container (its comments kept, the kustomization not listed twice); a
// file of that name that is not psafix's is never overwritten.
func TestOverlayPatchInPlace(t *testing.T) {
	tree, _ := filepath.Abs(filepath.Join("..", "..", "..", "fixtures", "overlays", "base-outside", "tree"))
	tmp, _ := copyTree(t, tree)
	t.Chdir(tmp)
	if _, report, code := runCLIArgs(t, "--write", "overlays/prod"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	p := "overlays/prod/psafix-patch.yaml"
	patch, _ := os.ReadFile(p)
	edited := strings.Replace(string(patch), "kind: Deployment\n", "kind: Deployment # reviewed\n", 1)
	os.WriteFile(p, []byte(edited), 0o644)
	base, _ := os.ReadFile("base/deployment.yaml")
	withSidecar := strings.Replace(string(base), "      volumes:\n", "        - name: sidecar\n          image: example.com/sidecar:1\n      volumes:\n", 1)
	os.WriteFile("base/deployment.yaml", []byte(withSidecar), 0o644)
	if _, report, code := runCLIArgs(t, "--write", "overlays/prod"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	now, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(now), edited) && !strings.Contains(string(now), "# reviewed") {
		t.Errorf("the patch was not edited in place:\n%s", now)
	}
	if !strings.Contains(string(now), "- name: sidecar") || strings.Count(string(now), "apiVersion:") != 1 {
		t.Errorf("the sidecar is not in the patch's one document:\n%s", now)
	}
	k, _ := os.ReadFile("overlays/prod/kustomization.yaml")
	if strings.Count(string(k), "psafix-patch.yaml") != 1 {
		t.Errorf("the patch is listed %d times:\n%s", strings.Count(string(k), "psafix-patch.yaml"), k)
	}
	if out, report, code := runCLIArgs(t, "check", "overlays/prod"); code != ExitOK {
		t.Errorf("built overlay fails: exit %d\n%s\n%s", code, out, report)
	}

	// A psafix-patch.yaml that is not psafix's: the patch gets another name.
	tmp2, _ := copyTree(t, tree)
	t.Chdir(tmp2)
	mine := "# my own notes\n"
	os.WriteFile(p, []byte(mine), 0o644)
	if _, report, code := runCLIArgs(t, "--write", "overlays/prod"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	if b, _ := os.ReadFile(p); string(b) != mine {
		t.Errorf("a file that is not psafix's was overwritten:\n%s", b)
	}
	if _, err := os.Stat("overlays/prod/psafix-patch-2.yaml"); err != nil {
		t.Errorf("no psafix-patch-2.yaml: %v", err)
	}
	if out, report, code := runCLIArgs(t, "check", "overlays/prod"); code != ExitOK {
		t.Errorf("built overlay fails: exit %d\n%s\n%s", code, out, report)
	}
}

// TestOverlayCountedOnce: a workload checked through its base file and through an overlay
// that builds it unchanged is one workload, its findings reported once (at the file's
// lines); kustomize's deprecation warning is a note on the kustomization, never a bare line
// on standard error.
func TestOverlayCountedOnce(t *testing.T) {
	tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", "base-inside", "tree"))
	t.Chdir(tmp)
	out, report, code := runCLIArgs(t, "check", "base", "overlays/prod")
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s\n%s", code, out, report)
	}
	if !strings.Contains(report, "1 workload, 4 violations at restricted") || !strings.Contains(report, "counted once") {
		t.Errorf("summary:\n%s", report)
	}
	if strings.Contains(out, "(built, from") {
		t.Errorf("the built workload's findings, the same as its file's, were reported again:\n%s", out)
	}
	if !strings.Contains(out, "kustomization.yaml:1:1: kustomization: note: kustomize: 'patchesStrategicMerge' is deprecated") || strings.Contains(report, "# Warning") {
		t.Errorf("deprecation warning:\n%s\n%s", out, report)
	}
	_, report, _ = runCLIArgs(t, "report", "--format", "json", "base", "overlays/prod")
	if !strings.Contains(report, "1 workload in 1 namespace") {
		t.Errorf("report counts the workload twice:\n%s", report)
	}
}

// TestOverlayWalked: overlays a walk meets are fixed too (psafix --write overlays), each
// after those it uses: prod gets the patch, staging (built on prod, with a namePrefix) is
// built with prod's patch and needs none, a Component is left alone; both then pass.
func TestOverlayWalked(t *testing.T) {
	tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", "base-outside", "tree"))
	t.Chdir(tmp)
	writeTree(t, tmp, map[string]string{
		"overlays/staging/kustomization.yaml": "resources:\n  - ../prod\nnamePrefix: staging-\n",
		"overlays/comp/kustomization.yaml":    "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n  - pairs: {a: b}\n",
	})
	diff, report, code := runCLIArgs(t, "--diff", "overlays")
	if code != ExitFindings || strings.Count(diff, "new file mode") != 1 || !strings.Contains(diff, "b/overlays/prod/psafix-patch.yaml") {
		t.Fatalf("exit %d\n%s\n%s", code, diff, report)
	}
	if _, report, code := runCLIArgs(t, "--write", "overlays"); code == ExitError {
		t.Fatalf("--write: exit %d\n%s", code, report)
	}
	for _, o := range []string{"overlays/prod", "overlays/staging"} {
		if out, report, code := runCLIArgs(t, "check", o); code != ExitOK {
			t.Errorf("%s fails once built: exit %d\n%s\n%s", o, code, out, report)
		}
	}
	if out, _, _ := runCLIArgs(t, "--diff", "overlays"); out != "" {
		t.Errorf("second run:\n%s", out)
	}
}

// TestReportOverlayPatch: psafix report's "after psafix --write" for an overlay whose base
// lies outside the paths is what the patch reaches: restricted for base-outside, nothing
// more for base-outside-explicit, whose explicit choices a patch keeps.
func TestReportOverlayPatch(t *testing.T) {
	for c, want := range map[string]string{"base-outside": "1 -> 1    0 -> 1", "base-outside-explicit": "0 -> 0    0 -> 0"} {
		tmp, _ := copyTree(t, filepath.Join("..", "..", "..", "fixtures", "overlays", c, "tree"))
		entries, _ := os.ReadDir(filepath.Join(tmp, "overlays"))
		out, report, code := runCLIArgs(t, "report", filepath.Join(tmp, "overlays", entries[0].Name()))
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want %q\n%s\n%s", c, code, want, out, report)
		}
	}
}
