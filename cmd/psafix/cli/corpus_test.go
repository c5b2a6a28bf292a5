package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// copyTree copies src into a new temporary folder and returns the folder and the files'
// original bytes by path inside it.
func copyTree(t *testing.T, src string) (string, map[string][]byte) {
	t.Helper()
	dst := t.TempDir()
	files, err := kiotest.CopyTree(src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dst, files
}

func parseAll(t *testing.T, path string, data []byte) []*kio.Document {
	t.Helper()
	src := kio.NewSource(data)
	var docs []*kio.Document
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			t.Errorf("%s: does not parse after the fix: %v", path, err)
			return nil
		}
		docs = append(docs, d)
	}
	return docs
}

// TestCorpus runs psafix --write on a copy of the real manifests in the shared corpus and
// checks what users are promised: every file still parses, every comment stays, nothing
// outside the security fields changes, documents without workloads are byte-identical,
// every workload whose violations are all fixable passes restricted, a second run changes
// nothing, and the changed lines are insertions except values a fix had to change.
func TestCorpus(t *testing.T) {
	shared := corpus(t)
	dir, orig := copyTree(t, filepath.Join(shared, "corpus", "open"))
	_, report, code := runCLIArgs(t, "--write", dir)
	if code == ExitOK {
		t.Errorf("exit 0 although violations remain")
	}
	opts := fixers.DefaultOptions()
	eval := fixers.NewEvaluator()
	lv := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	var st fidelity
	changed, mustPass, passed := 0, 0, 0
	for path, before := range orig {
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(before, after) {
			continue
		}
		changed++
		st.add(t, path, before, after)
		db := parseAll(t, path, before)
		da := parseAll(t, path, after)
		if db == nil || da == nil {
			continue
		}
		if len(db) != len(da) {
			t.Errorf("%s: %d documents became %d", path, len(db), len(da))
			continue
		}
		for i := range db {
			wb := kio.FindWorkloads(db[i])
			if len(wb) == 0 {
				if !bytes.Equal(segText(db[i]), segText(da[i])) {
					t.Errorf("%s: document %d has no workload but changed", path, i+1)
				}
				continue
			}
			if why := fixers.SameOutsideOwned(db[i], da[i], opts.AllWritablePaths()); why != "" {
				t.Errorf("%s: document %d: %s", path, i+1, why)
			}
			wa := kio.FindWorkloads(da[i])
			for j, w := range wb {
				meta, spec, err := fixers.DecodePod(w)
				if err != nil || !allFixable(opts, w, meta, spec, eval.Evaluate(lv, meta, spec)) {
					continue
				}
				mustPass++
				meta, spec, err = fixers.DecodePod(wa[j])
				if err != nil {
					t.Errorf("%s: %s does not decode after the fix: %v", path, w.ID(), err)
					continue
				}
				if f := eval.Evaluate(lv, meta, spec); len(f) > 0 {
					t.Errorf("%s: %s still fails restricted after the fix: %v", path, w.ID(), f)
					continue
				}
				passed++
			}
		}
	}
	t.Logf("corpus: %d files, %d changed; %d workloads with only fixable violations, %d pass restricted after the fix", len(orig), changed, mustPass, passed)
	t.Logf("fidelity: %d lines inserted, %d lines deleted = %d values changed in place + %d list items removed", st.inserted, st.deleted, st.values, st.items)
	if st.deleted != st.values+st.items {
		t.Errorf("%d deleted lines are neither a changed value nor a removed item", st.deleted-st.values-st.items)
	}
	if changed < 300 || passed < 300 {
		t.Errorf("too little was fixed (%d files, %d workloads): the corpus should give over 300 of each", changed, passed)
	}
	if !strings.Contains(report, "violations remain") {
		t.Errorf("the summary line is missing:\n%s", report)
	}

	// A second run finds nothing more to do.
	out, _, _ := runCLIArgs(t, "--list", dir)
	if out != "" {
		t.Errorf("second run would change:\n%s", out)
	}
}

// allFixable reports whether every failing check has a default fixer that can fix it and
// nothing keeps the pod failing: pods psafix declines (an image the table knows to need
// root, an explicit root setting, a kept capability) are reported with a note, not fixed.
func allFixable(opts *fixers.Options, w *kio.Workload, meta *metav1.ObjectMeta, spec *corev1.PodSpec, findings []fixers.Finding) bool {
	if len(findings) == 0 {
		return false // already passing: nothing to prove
	}
	t := fixers.Target{Level: api.LevelRestricted, Version: api.LatestVersion()}
	if len(fixers.Declines(opts, w, meta, spec, t, findings, nil)) > 0 {
		return false
	}
	for _, f := range findings {
		if _, fixer := fixers.Hint(f.ID, nil); fixer == "" {
			return false
		}
	}
	return true
}

func segText(d *kio.Document) []byte { return d.Src.Data[d.Seg.Start:d.Seg.End] }

func runCLIArgs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(args, nil)
}

// fidelity counts, over a line diff of each changed file, what was inserted and deleted, and
// which deleted lines were a value a fix had to change (the same key on a line inserted in
// their place) or a removed list item (a capability).
type fidelity struct {
	inserted, deleted, values, items int
}

var keyOfLine = regexp.MustCompile(`^(\s*(?:- )?[^\s:#][^:#]*:)`)

func (f *fidelity) add(t *testing.T, path string, before, after []byte) {
	norm := func(b []byte) string {
		s := string(b)
		if !strings.HasSuffix(s, "\n") {
			s += "\n" // a final line that gains a newline is not a change of that line
		}
		return s
	}
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToRunes(norm(before), norm(after))
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(a, b, false), lines)
	var del, ins []string
	flush := func() {
		keys := map[string]int{}
		for _, l := range ins {
			if m := keyOfLine.FindString(l); m != "" {
				keys[m]++
			}
		}
		for _, l := range del {
			trimmed := strings.TrimSpace(l)
			switch m := keyOfLine.FindString(l); {
			case m != "" && keys[m] > 0:
				keys[m]--
				f.values++
			case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "-\t"):
				f.items++
			default:
				t.Logf("%s: deleted line not explained: %q", path, l)
			}
		}
		del, ins = nil, nil
	}
	for _, d := range diffs {
		ls := strings.SplitAfter(d.Text, "\n")
		if ls[len(ls)-1] == "" {
			ls = ls[:len(ls)-1]
		}
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			f.deleted += len(ls)
			del = append(del, ls...)
		case diffmatchpatch.DiffInsert:
			f.inserted += len(ls)
			ins = append(ins, ls...)
		default:
			flush()
		}
	}
	flush()
}

// TestHelmTemplatesUntouched: every Helm template of the corpus (its chart not there) is left
// byte-identical and said to be skipped, which is not an error.
func TestHelmTemplatesUntouched(t *testing.T) {
	shared := corpus(t)
	dir, orig := copyTree(t, filepath.Join(shared, "corpus", "helm-templates"))
	_, report, code := runCLIArgs(t, "--write", dir)
	if code == ExitError {
		t.Errorf("exit %d: skipping a template is not an error\n%s", code, report)
	}
	for path, before := range orig {
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Errorf("%s: changed", path)
		}
		if !strings.Contains(report, path) {
			t.Errorf("%s: not reported", path)
		}
	}
	if n := strings.Count(report, "template"); n < len(orig) {
		t.Errorf("only %d of %d templates reported as templates:\n%s", n, len(orig), report)
	}
}

// TestBracesValidYAML: valid manifests that merely contain "{{" in strings are fixed as
// usual, not refused as templates.
func TestBracesValidYAML(t *testing.T) {
	shared := corpus(t)
	dir, orig := copyTree(t, filepath.Join(shared, "corpus", "braces-valid-yaml"))
	_, report, _ := runCLIArgs(t, "--write", dir)
	if strings.Contains(report, "skipped") {
		t.Errorf("a valid manifest was refused as a template:\n%s", report)
	}
	changed := 0
	for path, before := range orig {
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			changed++
		}
	}
	if changed == 0 {
		t.Errorf("none of the %d files was fixed", len(orig))
	}
}
