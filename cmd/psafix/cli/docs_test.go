package cli

import (
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestUsageDocListsEveryFlag keeps docs/usage.md in step with --help: every flag of every
// command is named there (as `--name`, and `-x` for a shorthand), and every flag it names
// exists.
func TestUsageDocListsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/usage.md")
	if err != nil {
		t.Fatal(err)
	}
	code := 0
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard, &code)
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "completion" || c.Name() == "help" {
			return
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			known[f.Name] = true
			if !strings.Contains(string(doc), "`--"+f.Name) {
				t.Errorf("docs/usage.md does not name --%s (psafix %s --help shows it)", f.Name, c.Name())
			}
			if f.Shorthand != "" && !strings.Contains(string(doc), "`-"+f.Shorthand+"`") {
				t.Errorf("docs/usage.md does not name -%s, the shorthand of --%s", f.Shorthand, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	var gone []string
	for _, m := range regexp.MustCompile("`--([a-z][a-z-]*)").FindAllStringSubmatch(string(doc), -1) {
		if !known[m[1]] {
			gone = append(gone, m[1])
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		t.Errorf("docs/usage.md names --%s, which no command has", name)
	}
}
