package fixers

import (
	"os"
	"strings"
	"testing"
)

// TestDocsCurrent keeps the fixer table of docs/fixers.md and doc.go in step with the registry: every
// fixer has its row (with each check it answers) and its doc.go section.
func TestDocsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../docs/fixers.md")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range All {
		row := ""
		for _, l := range strings.Split(string(readme), "\n") {
			if strings.HasPrefix(l, "| `"+f.ID+"` |") {
				row = l
			}
		}
		if row == "" {
			t.Errorf("docs/fixers.md has no row for fixer %s", f.ID)
			continue
		}
		for _, c := range f.Checks {
			if !strings.Contains(row, string(c)) {
				t.Errorf("docs/fixers.md row of %s does not name check %s", f.ID, c)
			}
		}
		if !strings.Contains(string(doc), "// # "+f.ID+"\n") {
			t.Errorf("doc.go has no section for %s", f.ID)
		}
	}
}
