package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/rollout"
)

func reportOf(t *testing.T, args ...string) rollout.ReportJSON {
	t.Helper()
	out, stderr, code := runCLIArgs(t, append([]string{"report", "--format=json"}, args...)...)
	if code == ExitError && out == "" {
		t.Fatalf("report failed:\n%s", stderr)
	}
	var rep rollout.ReportJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return rep
}

type checkJSON struct {
	Summary rollout.Tally `json:"summary"`
}

// reportAgreesWithWrite runs report, then psafix --write, then report and check again on
// dir, and asserts that the report's "after fix" columns are what the write did: per
// namespace, the workloads passing each level after the fix are those passing it once
// written, and check counts as many.
func reportAgreesWithWrite(t *testing.T, dir string, args ...string) rollout.ReportJSON {
	t.Helper()
	before := reportOf(t, append(args, dir)...)
	// Files psafix cannot read (the corpus has some with duplicate keys) are errors in
	// both, and left out of both.
	runCLIArgs(t, append(append([]string{}, args...), "--write", dir)...)
	after := reportOf(t, append(args, dir)...)
	out, stderr, _ := runCLIArgs(t, append(append([]string{"check", "--format=json"}, args...), dir)...)
	var check checkJSON
	if err := json.Unmarshal([]byte(out), &check); err != nil {
		t.Fatalf("check is not JSON: %v\n%s\n%s", err, out, stderr)
	}

	byName := map[string]rollout.NamespaceJSON{}
	for _, ns := range after.Namespaces {
		byName[ns.Name] = ns
	}
	if len(after.Namespaces) != len(before.Namespaces) {
		t.Errorf("%d namespaces before the write, %d after", len(before.Namespaces), len(after.Namespaces))
	}
	for _, ns := range before.Namespaces {
		got, ok := byName[ns.Name]
		if !ok {
			t.Errorf("namespace %q gone after the write", ns.Name)
			continue
		}
		if got.Workloads != ns.Workloads {
			t.Errorf("namespace %q: %d workloads before the write, %d after", ns.Name, ns.Workloads, got.Workloads)
		}
		for _, l := range rollout.Levels {
			if ns.After[string(l)] != got.Before[string(l)] {
				t.Errorf("namespace %q: report said %d workloads would pass %s after the fix; after --write %d do", ns.Name, ns.After[string(l)], l, got.Before[string(l)])
			}
		}
	}
	for _, l := range rollout.Levels {
		if before.Summary.After[string(l)] != check.Summary.PassingBefore[string(l)] {
			t.Errorf("report said %d workloads would pass %s after the fix; check after --write counts %d", before.Summary.After[string(l)], l, check.Summary.PassingBefore[string(l)])
		}
	}
	if before.Summary.Workloads != check.Summary.Workloads {
		t.Errorf("report counts %d workloads, check %d", before.Summary.Workloads, check.Summary.Workloads)
	}
	return before
}

// TestReportAgreesWithWrite on the rollout fixture, with and without a config.
func TestReportAgreesWithWrite(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "fixtures", "rollout", "report-text", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{nil, {"--config=testdata/rollout/psafix.yaml"}, {"--level=restricted"}, {"--namespace=web", "--version=v1.30"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "k8s", "all.yaml"), string(in))
			rep := reportAgreesWithWrite(t, dir, args...)
			want := 4
			if strings.HasPrefix(strings.Join(args, " "), "--namespace=web") {
				want = 1 // --namespace selects
			}
			if len(rep.Namespaces) < want {
				t.Errorf("only %d namespaces", len(rep.Namespaces))
			}
		})
	}
}

// TestRolloutCorpus: on a copy of the shared corpus, report runs, its "after fix" columns
// agree with psafix --write followed by check, and label changes only label lines of
// Namespace objects (and leaves every other file byte-identical).
func TestRolloutCorpus(t *testing.T) {
	shared := corpus(t)
	src := filepath.Join(shared, "corpus", "open")

	t.Run("report agrees with --write", func(t *testing.T) {
		dir, _ := copyTree(t, src)
		rep := reportAgreesWithWrite(t, dir)
		manifests := 0
		for _, ns := range rep.Namespaces {
			if ns.Manifest != nil {
				manifests++
			}
		}
		t.Logf("corpus report: %d files, %d namespaces (%d with a Namespace manifest), %d workloads; passing restricted %d -> %d, baseline %d -> %d",
			rep.Summary.Files, rep.Summary.Namespaces, manifests, rep.Summary.Workloads,
			rep.Summary.Before["restricted"], rep.Summary.After["restricted"], rep.Summary.Before["baseline"], rep.Summary.After["baseline"])
		if rep.Summary.Workloads < 300 || manifests == 0 {
			t.Errorf("the corpus should give over 300 workloads and some Namespace manifests")
		}
		for _, f := range []string{"text", "markdown"} {
			out, stderr, code := runCLIArgs(t, "report", "--format="+f, dir)
			if code == ExitError && out == "" || !strings.Contains(out, "flux-system") {
				t.Errorf("report --format=%s: exit %d\n%s", f, code, stderr)
			}
		}
	})

	t.Run("label changes only label lines", func(t *testing.T) {
		dir, orig := copyTree(t, src)
		runCLIArgs(t, "label", "--write", dir)
		changed, inserted, values := 0, 0, 0
		for path, before := range orig {
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(before, after) {
				continue
			}
			changed++
			if !bytes.Contains(before, []byte("Namespace")) {
				t.Errorf("%s: changed but holds no Namespace", path)
			}
			i, c := checkOnlyLabelLines(t, path, before, after)
			inserted += i
			values += c
		}
		t.Logf("label: %d files changed, %d lines inserted, %d changed in place", changed, inserted, values)
		if changed < 5 {
			t.Errorf("only %d files labelled; the corpus has more Namespace manifests", changed)
		}
		if out, _, _ := runCLIArgs(t, "label", "--list", dir); out != "" {
			t.Errorf("second label run would change:\n%s", out)
		}
	})
}
