package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

const hostilePod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: b\n"

// runWithin runs psafix in-process in dir and fails the test if it takes longer than a
// minute (a FIFO opened for reading waits for a writer forever).
func runWithin(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	type result struct {
		out, errs string
		code      int
	}
	done := make(chan result, 1)
	go func() {
		old, _ := os.Getwd()
		os.Chdir(dir)
		defer os.Chdir(old)
		out, errs, code := runCLI(args, nil)
		done <- result{out, errs, code}
	}()
	select {
	case r := <-done:
		return r.out, r.errs, r.code
	case <-time.After(time.Minute):
		t.Fatalf("psafix %s hangs", strings.Join(args, " "))
	}
	return "", "", 0
}

// TestWalkSkipsFIFOs: a FIFO named *.yaml in a walked tree is skipped with a note, never
// opened; the rest of the tree is fixed.
func TestWalkSkipsFIFOs(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(hostilePod), 0o644)
	for _, args := range [][]string{{"--write", "."}, {"--diff", "."}, {"check", "."}, {"."}, {"report", "."}, {"label", "--diff", "."}} {
		out, errs, code := runWithin(t, dir, args...)
		errs = out + errs
		if code == ExitError && !strings.HasPrefix(args[0], "label") {
			t.Errorf("psafix %v: exit %d:\n%s", args, code, errs)
		}
		if args[0] == "--write" && !strings.Contains(errs, "pipe.yaml: a named pipe (FIFO), not a regular file: skipped") {
			t.Errorf("no note about the FIFO:\n%s", errs)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "pod.yaml")); string(got) == hostilePod {
		t.Errorf("pod.yaml was not fixed")
	}
}

// TestLinkedFolderAndFIFOOnce: a link to a folder named on the command line is walked (its
// files named by their real paths, so git apply takes the diff), and a FIFO reached through
// an in-tree link too is told of once.
func TestLinkedFolderAndFIFOOnce(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "real dir"), 0o755)
	os.WriteFile(filepath.Join(dir, "real dir", "pod.yaml"), []byte(hostilePod), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "real dir", "pipe.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	os.Symlink("pipe.yaml", filepath.Join(dir, "real dir", "pipe-link.yaml"))
	os.Symlink("real dir", filepath.Join(dir, "linked"))
	out, errs, code := runWithin(t, dir, "--diff", "linked")
	if code != ExitFindings || !strings.Contains(out, "+++ b/real dir/pod.yaml") || strings.Count(errs, "named pipe") != 1 || !strings.Contains(errs, "1 skipped") {
		t.Errorf("exit %d, diff:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestMaxSizeWhileReading: a device without a size, and standard input, are read only up to
// --max-size.
func TestMaxSizeWhileReading(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, errs, code := runWithin(t, t.TempDir(), "--max-size", "1000", "/dev/zero")
	if code != ExitError || !strings.Contains(errs, "/dev/zero: larger than --max-size (1000 bytes): skipped") {
		t.Errorf("exit %d:\n%s", code, errs)
	}

	// Standard input over the limit: an error, and in the default mode it is passed
	// through whole, what was read and the rest.
	big := strings.Repeat("# a comment line that psafix does not need to read\n", 100)
	for _, args := range [][]string{{"--max-size", "1000"}, {"--max-size", "1000", "-"}, {"check", "--max-size", "1000", "-"}} {
		var out, errb bytes.Buffer
		code := Main(args, strings.NewReader(big), &out, &errb)
		if code != ExitError || !strings.Contains(errb.String(), "<stdin>: larger than --max-size (1000 bytes)") {
			t.Errorf("%v: exit %d:\n%s", args, code, errb.String())
		}
		if args[0] != "check" && out.String() != big {
			t.Errorf("%v: standard input not passed through whole: %d of %d bytes", args, out.Len(), len(big))
		}
	}
}

// TestSameFileOnce: a file reached through an in-tree link and through overlapping
// arguments is processed once, named by its own path; the diff applies with git apply.
func TestSameFileOnce(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "base"), 0o755)
	os.WriteFile(filepath.Join(dir, "base", "web.yaml"), []byte(hostilePod), 0o644)
	if err := os.Symlink(filepath.Join("base", "web.yaml"), filepath.Join(dir, "a-web.yaml")); err != nil {
		t.Skipf("symlink: %v", err)
	}
	out, errs, code := runWithin(t, dir, "--diff", ".", "base", "base/web.yaml", "a-web.yaml")
	if code != ExitFindings || strings.Count(out, "\n--- ") != 0 || strings.Count(out, "--- a/base/web.yaml\n") != 1 || strings.Contains(out, "a-web") {
		t.Errorf("exit %d, diff:\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "psafix: 1 file (1 would change)") {
		t.Errorf("counts:\n%s", errs)
	}
	if _, err := exec.LookPath("git"); err == nil {
		git := exec.Command("git", "apply", "--check", "-")
		git.Dir, git.Stdin = dir, strings.NewReader(out)
		git.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if b, err := git.CombinedOutput(); err != nil {
			t.Errorf("git apply: %v\n%s", err, b)
		}
	}
	if _, errs, _ := runWithin(t, dir, "--write", "."); !strings.Contains(errs, "1 file (1 changed)") {
		t.Errorf("--write:\n%s", errs)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "a-web.yaml")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link")
	}
}

// TestInterruptedWrite: SIGINT during --write ends the run as a signal does (exit 130),
// leaves no temporary file, and leaves every file either as it was or fully fixed.
func TestInterruptedWrite(t *testing.T) {
	// SIGHUP is a closed terminal: the same clean end.
	for _, sig := range []struct {
		s    syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGHUP, 129}} {
		func() {
			dir := t.TempDir()
			const files = 400
			for i := range files {
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("pod-%03d.yaml", i)), []byte(hostilePod), 0o644)
			}
			_, _, _ = runCLI([]string{"--write", filepath.Join(dir, "pod-000.yaml")}, nil)
			fixed, _ := os.ReadFile(filepath.Join(dir, "pod-000.yaml"))
			os.WriteFile(filepath.Join(dir, "pod-000.yaml"), []byte(hostilePod), 0o644)

			codes := make(chan int, 1)
			exitProcess = func(code int) { codes <- code }
			defer func() { exitProcess = os.Exit }()
			defer kio.AllowWrites()
			done := make(chan string)
			go func() {
				_, errs, _ := runCLI([]string{"--write", "-j", "2", dir}, nil)
				done <- errs
			}()
			// Once the first file is written, the run is under way.
			deadline := time.Now().Add(time.Minute)
			for {
				if b, _ := os.ReadFile(filepath.Join(dir, "pod-000.yaml")); string(b) != hostilePod || time.Now().After(deadline) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			syscall.Kill(os.Getpid(), sig.s)
			errs := <-done
			select {
			case code := <-codes:
				if code != sig.code {
					t.Errorf("%v: exit %d, want %d", sig.s, code, sig.code)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the signal was not handled (did the run end first?):\n%s", errs)
			}
			if !strings.Contains(errs, sig.s.String()+": stopped") {
				t.Errorf("no word about the signal:\n%s", errs)
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*psafix*")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			written := 0
			for i := range files {
				b, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("pod-%03d.yaml", i)))
				switch string(b) {
				case string(fixed):
					written++
				case hostilePod:
				default:
					t.Errorf("pod-%03d.yaml is neither as it was nor fixed:\n%s", i, b)
				}
			}
			t.Logf("%d of %d files written before the signal", written, files)
		}()
	}
}

// TestLargeFileInParts: a file over streamSize is fixed and reported part by part; what it
// prints, reports and counts is what fixing it whole gives.
func TestLargeFileInParts(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "many.yaml")
	if err := ManyDocuments(file, 2*streamSize); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	whole := fixers.NewEngine(fixers.DefaultOptions()).FixFile(file, data)
	out, errs, code := runCLI([]string{file}, nil)
	if code != ExitFindings || out != string(whole.New) {
		t.Errorf("exit %d; output equal to the whole file fixed: %v", code, out == string(whole.New))
	}
	var want strings.Builder
	for _, n := range whole.Notes {
		want.WriteString(n.String() + "\n")
	}
	for _, r := range whole.Remaining {
		want.WriteString(r.String() + "\n")
	}
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	// Each part's notes come before its violations, so the lines are compared as a set.
	sorted := func(s string) string {
		l := strings.Split(s, "\n")
		slices.Sort(l)
		return strings.Join(l, "\n")
	}
	got := strings.Join(lines[:len(lines)-1], "\n") + "\n"
	if sorted(got) != sorted(want.String()) {
		t.Errorf("reports differ from the whole file's: %d lines, want %d", len(lines)-1, strings.Count(want.String(), "\n"))
	}
	wantSummary := fmt.Sprintf("psafix: 1 file (1 changed), %s (fixed %d), %s at restricted", kio.Count(whole.Workloads, "workload", "workloads"), whole.Fixed, kio.Count(len(whole.Remaining), "violation remains", "violations remain"))
	if lines[len(lines)-1] != wantSummary {
		t.Errorf("summary %q, want %q", lines[len(lines)-1], wantSummary)
	}

	// A broken document anywhere leaves the whole file alone, with nothing reported of the
	// parts before it.
	broken := append(append([]byte{}, data...), "---\nkind: [unclosed\n"...)
	os.WriteFile(file, broken, 0o644)
	out, errs, code = runCLI([]string{file}, nil)
	if code != ExitError || out != string(broken) || strings.Count(errs, "\n") != 2 || !strings.Contains(errs, "invalid YAML") {
		t.Errorf("exit %d, stderr:\n%.500s", code, errs)
	}

	// A workload that does not decode, in the last part, leaves the whole file alone too:
	// no part is fixed, each reports its violations as they are, and the error has its line.
	undecodable := append(append([]byte{}, data...), "---\napiVersion: v1\nkind: Pod\nmetadata: {name: last}\nspec:\n  containers: 5\n"...)
	os.WriteFile(file, undecodable, 0o644)
	line := bytes.Count(data, []byte("\n")) + 6
	out, errs, code = runCLI([]string{file}, nil)
	wantErr := fmt.Sprintf("%s:%d:3: Pod/last: cannot decode spec.containers: a list expected, not the number 5", file, line)
	if code != ExitError || out != string(undecodable) || !strings.Contains(errs, wantErr) || strings.Contains(errs, "note:") || !strings.Contains(errs, "(fixed 0)") {
		t.Errorf("exit %d, output unchanged %v, stderr:\n%.500s\n...%s", code, out == string(undecodable), errs, errs[max(0, len(errs)-300):])
	}
}

// TestUndecodableFormats: a pod spec that does not decode is an error with its line and
// column in JSON, SARIF (a tool notification) and GitHub annotations; the other files are
// still fixed.
func TestUndecodableFormats(t *testing.T) {
	dir := t.TempDir()
	bad := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  securityContext: [a]\n  containers: [{name: c, image: x}]\n"
	good := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers: [{name: c, image: x}]\n"
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(bad), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(good), 0o644)
	out, _, code := runWithin(t, dir, "check", "--format", "json", ".")
	if code != ExitError || !strings.Contains(out, `"path": "a.yaml",
      "line": 6,
      "column": 3,
      "message": "a.yaml:6:3: Pod/bad: cannot decode spec.securityContext: a mapping expected, not a list`) || !strings.Contains(out, `"object": "Pod/good"`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	out, _, code = runWithin(t, dir, "check", "--format", "sarif", ".")
	if code != ExitError || !strings.Contains(out, `"toolExecutionNotifications"`) || !strings.Contains(out, `"startLine": 6,
                      "startColumn": 3`) {
		t.Errorf("sarif: exit %d\n%s", code, out)
	}
	out, _, _ = runWithin(t, dir, "check", "--format", "github", ".")
	if !strings.Contains(out, "::error file=a.yaml,line=6,col=3::") {
		t.Errorf("github:\n%s", out)
	}
	_, errs, code := runWithin(t, dir, "--write", ".")
	after, _ := os.ReadFile(filepath.Join(dir, "a.yaml"))
	fixed, _ := os.ReadFile(filepath.Join(dir, "b.yaml"))
	if code != ExitError || string(after) != bad || string(fixed) == good || !strings.Contains(errs, "1 file (1 changed)") && !strings.Contains(errs, "2 files (1 changed)") {
		t.Errorf("--write: exit %d, a.yaml untouched %v, b.yaml fixed %v\n%s", code, string(after) == bad, string(fixed) != good, errs)
	}
}

// ManyDocuments (for the benchmarks too) writes a file of about size bytes of small documents: a ConfigMap and a
// Deployment that needs every default fix, over and over.
func ManyDocuments(path string, size int) error {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\ndata:\n  key: value\n---\n"+
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n---\n", i, i)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
