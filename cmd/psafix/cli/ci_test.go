package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSARIFFields checks every field GitHub code scanning requires of a SARIF upload.
func TestSARIFFields(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "..", "..", "fixtures", "formats", "check-text", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "k8s.yaml")
	os.WriteFile(path, in, 0o644)
	out, _, code := runCLI([]string{"check", "--format=sarif", path}, nil)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d", code, ExitFindings)
	}
	var log struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string            `json:"id"`
						ShortDescription map[string]string `json:"shortDescription"`
						Help             map[string]string `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string            `json:"ruleId"`
				RuleIndex *int              `json:"ruleIndex"`
				Level     string            `json:"level"`
				Message   map[string]string `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Fixes []json.RawMessage `json:"fixes"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-2.1.0") {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "psafix" || len(run.Tool.Driver.Rules) == 0 {
		t.Errorf("driver %q with %d rules", run.Tool.Driver.Name, len(run.Tool.Driver.Rules))
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription["text"] == "" || r.Help["text"] == "" {
			t.Errorf("rule without id, description or help: %+v", r)
		}
	}
	if len(run.Results) != 11 {
		t.Errorf("%d results, want 11", len(run.Results))
	}
	fixes := 0
	for _, r := range run.Results {
		if r.RuleID == "" || r.RuleIndex == nil || run.Tool.Driver.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result with a bad rule: %q %v", r.RuleID, r.RuleIndex)
		}
		if r.Level != "error" || r.Message["text"] == "" {
			t.Errorf("result %q: level %q, message %q", r.RuleID, r.Level, r.Message["text"])
		}
		if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %q without a location: %+v", r.RuleID, r.Locations)
		}
		fixes += len(r.Fixes)
	}
	if fixes == 0 {
		t.Errorf("no result carries a fix")
	}
}

// TestDiffApplies checks that --diff output applies with git apply and patch -p1 from the
// folder psafix ran in, and gives exactly what --write writes: on the torture set and on the
// real manifests of the corpus.
func TestDiffApplies(t *testing.T) {
	shared := corpus(t)
	for _, set := range []string{"torture", filepath.Join("corpus", "open")} {
		t.Run(filepath.ToSlash(set), func(t *testing.T) {
			src := filepath.Join(shared, set)
			written, _ := copyTree(t, src)
			runInDir(t, written, "--write", ".")

			// Each tool: a dry run, then the real thing, on a fresh copy.
			for _, tool := range [][2][]string{
				{{"git", "apply", "--check", "-"}, {"git", "apply", "-"}},
				{{"patch", "-p1", "--dry-run", "-s"}, {"patch", "-p1", "-s"}},
			} {
				if _, err := exec.LookPath(tool[0][0]); err != nil {
					t.Logf("%s not installed: skipped", tool[0][0])
					continue
				}
				patched, _ := copyTree(t, src)
				diff := runInDir(t, patched, "--diff", ".")
				if diff == "" {
					t.Fatal("empty diff")
				}
				for _, args := range tool {
					cmd := exec.Command(args[0], args[1:]...)
					cmd.Dir = patched
					cmd.Stdin = strings.NewReader(diff)
					cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
					}
				}
				sameTrees(t, written, patched)
			}
		})
	}
}

// runInDir runs psafix in-process with dir as the working directory, so that paths in its
// output are relative as a user would see them.
func runInDir(t *testing.T, dir string, args ...string) string {
	t.Helper()
	old, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(old)
	out, _, _ := runCLI(args, nil)
	return out
}

func sameTrees(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: patched tree differs from the written one", rel)
		}
		n++
		return nil
	})
	if n == 0 {
		t.Errorf("no files compared")
	}
}
