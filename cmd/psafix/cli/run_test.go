package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiffPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"k8s/web.yaml", "k8s/web.yaml"},
		{"./web.yaml", "web.yaml"},
		{"/tmp/web.yaml", "tmp/web.yaml"}, // git diff --no-index /tmp/a /tmp/b: a/tmp/a
		{"k8s//web.yaml", "k8s/web.yaml"},
		{"../web.yaml", "../web.yaml"},
		{stdinName, "stdin"},
	}
	for _, tt := range tests {
		if got := diffPath(filepath.FromSlash(tt.path)); got != tt.want {
			t.Errorf("diffPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestUnwrittenCounts: a fix that cannot be written is an error, and the summary counts what
// was written: the read-only file is neither "changed" nor "fixed", and its violations remain.
func TestUnwrittenCounts(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: b\n"
	ro := filepath.Join(dir, "a-read-only.yaml")
	rw := filepath.Join(dir, "b-writable.yaml")
	if err := os.WriteFile(ro, []byte(pod), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rw, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	_, report, code := runCLI([]string{"--write", dir}, nil)
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	want := "psafix: 2 files (1 changed), 2 workloads (fixed 1), 4 violations remain at restricted, 1 error\n"
	if !strings.HasSuffix(report, want) || !strings.Contains(report, ro+": not written: file is read-only") {
		t.Errorf("report:\n%s\nwant it to end with:\n%s", report, want)
	}
	if got, _ := os.ReadFile(ro); string(got) != pod {
		t.Errorf("read-only file changed:\n%s", got)
	}
}

// TestPanicIsABug: a panic while a worker handles a file is reported as a psafix bug with
// exit 2, that file is left untouched, and the others are still written whole.
func TestPanicIsABug(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: b\n"
	boom, good := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	for _, p := range []string{boom, good} {
		if err := os.WriteFile(p, []byte(pod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testHook = func(path string) {
		if path == boom {
			panic("boom")
		}
	}
	defer func() { testHook = func(string) {} }()
	_, report, code := runCLI([]string{"--write", dir}, nil)
	if code != ExitError || !strings.Contains(report, boom+": psafix bug: boom (in ") {
		t.Errorf("exit %d, report:\n%s", code, report)
	}
	if got, _ := os.ReadFile(boom); string(got) != pod {
		t.Errorf("the file that panicked changed:\n%s", got)
	}
	if got, _ := os.ReadFile(good); string(got) == pod {
		t.Errorf("the other file was not fixed")
	}
}

// TestUsageMistakes: a mistyped command and two output modes at once are usage errors (exit
// 2) that say what to do; a missing file is still only a missing file.
func TestUsageMistakes(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"chekc", "."}, "chekc: no such file or folder, nor a command: did you mean 'psafix check'?"},
		{[]string{"--write", "--diff", "."}, "--write, --diff and --list are three ways to deliver the changes: give one"},
		{[]string{"label", "--diff", "--list", "."}, "give one"},
		{[]string{"web.yaml"}, "web.yaml: no such file or directory"},
		{[]string{"fo"}, "fo: no such file or directory"},
	}
	for _, tt := range tests {
		_, report, code := runCLI(tt.args, nil)
		if code != ExitError || !strings.Contains(report, tt.want) {
			t.Errorf("psafix %s: exit %d, want 2 and %q in:\n%s", strings.Join(tt.args, " "), code, tt.want, report)
		}
		if strings.Contains(tt.want, "no such file or directory") && strings.Contains(report, "did you mean") {
			t.Errorf("a missing file is taken for a command:\n%s", report)
		}
	}
}
