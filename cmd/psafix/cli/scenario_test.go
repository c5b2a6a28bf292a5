package cli

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/psafix/psafix/diffview"
)

// TestScenario runs the cases of fixtures/scenario: each runs psafix on a copy of the
// shared tree fixtures/scenario/tree (a repository: the copy gets a .git folder), from its
// root, with the arguments of its args file (one per line; paths relative to the tree).
// want.out and want.report hold standard output and standard error with the exit code;
// want.diff the changes psafix made to the tree (empty when none). A case's files/ folder
// is copied over the tree first (a .psafix.yaml, say). A run that changed the
// tree is run again and must change nothing.
func TestScenario(t *testing.T) {
	root := filepath.Join("..", "..", "..", "fixtures", "scenario")
	tree, err := filepath.Abs(filepath.Join(root, "tree"))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "tree" {
			continue
		}
		n++
		dir, err := filepath.Abs(filepath.Join(root, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Name(), func(t *testing.T) {
			args := loadArgs(t, dir)
			repo := filepath.Join(t.TempDir(), "repo")
			copyScenario(t, tree, repo)
			if st, err := os.Stat(filepath.Join(dir, "files")); err == nil && st.IsDir() {
				copyScenario(t, filepath.Join(dir, "files"), repo) // the case's own files, over the tree
			}
			if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			before := readTree(t, repo)
			t.Chdir(repo)
			out, report, code := runCLI(args, nil)
			report += fmt.Sprintf("exit: %d\n", code)
			after := readTree(t, repo)
			diff := treeDiff(before, after)
			compare(t, filepath.Join(dir, "want.out"), out)
			compare(t, filepath.Join(dir, "want.report"), report)
			compare(t, filepath.Join(dir, "want.diff"), diff)
			if diff != "" {
				runCLI(args, nil)
				if again := treeDiff(after, readTree(t, repo)); again != "" {
					t.Errorf("a second run changed the tree again:\n%s", again)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no scenario cases")
	}
}

func copyScenario(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readTree returns the files of a tree by slash path, without .git.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// treeDiff is a unified diff of every file that changed, appeared or vanished.
func treeDiff(before, after map[string][]byte) string {
	names := map[string]bool{}
	for n := range before {
		names[n] = true
	}
	for n := range after {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var b strings.Builder
	for _, n := range sorted {
		old, okOld := before[n]
		new, okNew := after[n]
		if okOld && okNew && bytes.Equal(old, new) {
			continue
		}
		b.WriteString(diffview.Unified(n, n, old, new, 3))
	}
	return b.String()
}
