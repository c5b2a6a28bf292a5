package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

var update = flag.Bool("update", false, "rewrite the golden files (never the inputs)")

// goldenCase is one folder of fixtures/: input.yaml (or an input taken from the shared
// folder), optional args (one flag per line), want.yaml or want.diff, and want.report (what
// psafix prints on stderr, then its exit code). For "psafix check" and "psafix report"
// cases, want.out holds what it prints on stdout.
type goldenCase struct {
	dir   string
	input []byte
	args  []string
	// diff stores the expectation as a diff against the input rather than the whole output
	// (for inputs that live outside the repository).
	diff bool
}

func loadArgs(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			args = append(args, l)
		}
	}
	return args
}

// runCLI runs psafix in-process on stdin and returns stdout, stderr and the exit code.
func runCLI(args []string, stdin []byte) (string, string, int) {
	var out, errb bytes.Buffer
	code := Main(args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func checkGolden(t *testing.T, c goldenCase) {
	t.Helper()
	args := append(append([]string{}, c.args...), "-")
	out, report, code := runCLI(args, c.input)
	report += fmt.Sprintf("exit: %d\n", code)

	wantName := "want.yaml"
	got := out
	if len(c.args) > 0 && (c.args[0] == "check" || c.args[0] == "report") {
		// check and report print a report, not manifests.
		compare(t, filepath.Join(c.dir, "want.out"), out)
		compare(t, filepath.Join(c.dir, "want.report"), report)
		return
	}
	if c.diff {
		wantName = "want.diff"
		got = diffview.Unified("input.yaml", "input.yaml", c.input, []byte(out), 3)
	}
	compare(t, filepath.Join(c.dir, wantName), got)
	compare(t, filepath.Join(c.dir, "want.report"), report)

	if code == ExitError {
		if out != string(c.input) {
			t.Errorf("a file psafix refused must pass through untouched")
		}
		return
	}
	// Invariants every case gets for free.
	if diff := cmp.Diff(kio.Comments(c.input), kio.WithoutNewExplain(kio.Comments(c.input), kio.Comments([]byte(out)))); diff != "" {
		t.Errorf("comments changed (-input +output):\n%s", diff)
	}
	if len(c.args) == 0 || c.args[0] != "label" {
		// label edits Namespace documents, which hold no workload.
		unchangedDocsIdentical(t, c.input, []byte(out))
	}
	again, report2, _ := runCLI(args, []byte(out))
	if again != out {
		t.Errorf("second run changed the output:\n%s", diffview.Unified("first", "second", []byte(out), []byte(again), 3))
	}
	if strings.Contains(report2, "note:") && !strings.Contains(report, "note:") {
		t.Errorf("second run has notes the first did not:\n%s", report2)
	}
}

// unchangedDocsIdentical checks that every document without a workload comes back byte for
// byte.
func unchangedDocsIdentical(t *testing.T, in, out []byte) {
	t.Helper()
	si, so := kio.NewSource(in), kio.NewSource(out)
	segsIn, segsOut := kio.Split(si.Data), kio.Split(so.Data)
	if len(segsIn) != len(segsOut) {
		t.Errorf("document count changed: %d -> %d", len(segsIn), len(segsOut))
		return
	}
	for i, seg := range segsIn {
		d, err := kio.ParseDocument(si, seg, i)
		if err != nil || len(kio.FindWorkloads(d)) > 0 {
			continue
		}
		a, b := si.Data[seg.Start:seg.End], so.Data[segsOut[i].Start:segsOut[i].End]
		if !bytes.Equal(a, b) {
			t.Errorf("document %d has no workload but changed", i+1)
		}
	}
}

func compare(t *testing.T, path, got string) {
	t.Helper()
	kiotest.Golden(t, path, got, *update, "run go test ./... -update to create it")
}

// TestGolden runs every case under fixtures/ whose input is in the repository.
func TestGolden(t *testing.T) {
	root := filepath.Join("..", "..", "..", "fixtures")
	inputs, err := filepath.Glob(filepath.Join(root, "*", "*", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases found")
	}
	for _, in := range inputs {
		dir := filepath.Dir(in)
		name, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, goldenCase{dir: dir, input: data, args: loadArgs(t, dir)})
		})
	}
	checkNoStrayFiles(t, root)
}

// checkNoStrayFiles fails on fixture folders with missing or unexpected files, so a
// renamed case cannot silently stop being tested.
func checkNoStrayFiles(t *testing.T, root string) {
	known := map[string]bool{"input.yaml": true, "want.yaml": true, "want.diff": true, "want.report": true, "want.out": true, "args": true, "README.md": true}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "tree" || (d.Name() == "files" && filepath.Dir(filepath.Dir(p)) == filepath.Join(root, "scenario")) {
				return filepath.SkipDir // the input trees of TestScenario, TestChartFixtures...
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if filepath.Dir(rel) == "." {
			return nil
		}
		if !known[d.Name()] {
			t.Errorf("unexpected file in fixtures: %s", rel)
		}
		return nil
	})
}

// corpus returns the shared folder named by PSAFIX_CORPUS, or skips the test.
func corpus(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PSAFIX_CORPUS")
	if dir == "" {
		t.Skip("PSAFIX_CORPUS is not set (it names the shared folder with corpus/, torture/ and roundtrip/)")
	}
	return dir
}

// TestSharedGolden runs the torture and round-trip files of the shared folder against the
// expectations kept in fixtures/torture and fixtures/roundtrip (as diffs: the inputs are not
// ours to copy).
func TestSharedGolden(t *testing.T) {
	shared := corpus(t)
	for _, set := range []string{"torture", "roundtrip"} {
		files, _ := os.ReadDir(filepath.Join(shared, set))
		n := 0
		for _, f := range files {
			ext := filepath.Ext(f.Name())
			if f.IsDir() || (ext != ".yaml" && ext != ".json" && ext != ".yml") {
				continue
			}
			n++
			name := f.Name()
			t.Run(set+"/"+name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(shared, set, name))
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join("..", "..", "..", "fixtures", set, name)
				if *update {
					os.MkdirAll(dir, 0o755)
				}
				checkGolden(t, goldenCase{dir: dir, input: data, args: loadArgs(t, dir), diff: true})
			})
		}
		if n == 0 {
			t.Errorf("no files in %s/%s", shared, set)
		}
	}
}

// TestNoOnePlural keeps "1 files" and its kind out of every golden report: each count
// psafix prints goes through kio.Count.
func TestNoOnePlural(t *testing.T) {
	bad := regexp.MustCompile(`\b1 (files|workloads|errors|violations|images|namespaces|items|containers|manifests|documents|notes)\b`)
	err := filepath.WalkDir(filepath.Join("..", "..", "..", "fixtures"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || (d.Name() != "want.report" && d.Name() != "want.out") {
			return err
		}
		b, err := os.ReadFile(p)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q", p, m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
