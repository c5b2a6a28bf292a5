package fixers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/kio"
)

// TestFixFileParts: a file fixed part by part reports exactly what FixFile reports, at the
// same positions, and gives the same bytes.
func TestFixFileParts(t *testing.T) {
	var docs []string
	for _, dir := range []string{"workloads", "capabilities", "run-as-non-root", "seccomp", "bad-input/tagged-null-sc", "bad-input/anchor-aliased-elsewhere"} {
		files, _ := filepath.Glob(filepath.Join("..", "fixtures", dir, "*", "input.yaml"))
		if f, _ := filepath.Glob(filepath.Join("..", "fixtures", dir, "input.yaml")); f != nil {
			files = append(files, f...)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || strings.Contains(string(b), "\r") || strings.HasPrefix(string(b), "\ufeff") || strings.HasPrefix(string(b), "{") || strings.HasPrefix(string(b), "%") {
				continue
			}
			docs = append(docs, strings.TrimSuffix(string(b), "\n"))
		}
	}
	if len(docs) < 10 {
		t.Fatalf("only %d inputs", len(docs))
	}
	data := []byte(strings.Join(docs, "\n---\n") + "\n")
	e := NewEngine(DefaultOptions())
	want := e.FixFile("f.yaml", data)
	if want.Err != nil {
		t.Fatal(want.Err)
	}
	for _, size := range []int{1, 500, 5000} {
		got := &Result{Path: "f.yaml", Old: data}
		all := &Result{}
		e.fix(got, size, false, func(p *Result) {
			all.Remaining = append(all.Remaining, p.Remaining...)
			all.Warnings = append(all.Warnings, p.Warnings...)
			all.Notes = append(all.Notes, p.Notes...)
			all.Bugs = append(all.Bugs, p.Bugs...)
			all.Before = append(all.Before, p.Before...)
			all.Pods = append(all.Pods, p.Pods...)
			all.Changes = append(all.Changes, p.Changes...)
			for d, eds := range p.Edits {
				if all.Edits == nil {
					all.Edits = map[int][]kio.Edit{}
				}
				all.Edits[d] = eds
			}
		})
		all.Path, all.Old, all.New, all.Err, all.Workloads, all.Fixed = got.Path, got.Old, got.New, got.Err, got.Workloads, got.Fixed
		// The whole file's reports are sorted by line, which mixes the coordinates of fixed
		// documents (the new file) and unchanged ones (the file as read): parts sort their
		// own. The same reports, in the order of the whole.
		sortReports(all.Remaining)
		sortReports(all.Notes)
		sortReports(all.Before)
		sortReports(all.Warnings)
		if d := cmp.Diff(want, all, cmpopts.EquateEmpty(), cmpopts.EquateComparable(api.Version{}, kio.Edit{}), cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) })); d != "" {
			t.Errorf("parts of %d bytes (-FixFile +parts):\n%s", size, d)
		}
	}
}
