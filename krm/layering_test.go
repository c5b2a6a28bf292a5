package krm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadsTheRecord: the function's results come from the engine's record (Result.Changes,
// Report.Field, Result.Warnings) and its items are the engine's fixed documents
// (Result.Final). It evaluates no PSA policy of its own, parses no item again, decodes no pod
// and diffs no fixed item: nothing here calls what that would take.
func TestReadsTheRecord(t *testing.T) {
	forbidden := map[string]string{
		"fixers.NewEvaluator":   "a PSA evaluation of its own",
		"fixers.NewEngine":      "a second engine (only newFunction makes the one engine)",
		"fixers.DecodePod":      "decoding pods after the engine",
		"fixers.ContainerPairs": "diffing containers after the engine",
		"kio.ToValue":           "decoding items after the engine",
		"kio.ParseDocument":     "parsing an item again (the engine hands over Result.Final)",
		"kio.ParseFile":         "parsing an item again (the engine hands over Result.Final)",
		"kio.Split":             "splitting an item again",
		"yaml.Parse":            "parsing an item again (only resultsNode parses, the results it marshals)",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if sel.Sel.Name == "Evaluate" {
				t.Errorf("%s: Evaluate: a PSA evaluation of its own", fset.Position(sel.Pos()))
			}
			x, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			call := x.Name + "." + sel.Sel.Name
			if why := forbidden[call]; why != "" {
				if call == "fixers.NewEngine" && enclosedBy(f, sel, "newFunction") || call == "yaml.Parse" && enclosedBy(f, sel, "resultsNode") {
					return true
				}
				t.Errorf("%s: %s: %s", fset.Position(sel.Pos()), call, why)
			}
			return true
		})
	}
}

// enclosedBy reports whether n lies in the function named fn.
func enclosedBy(f *ast.File, n ast.Node, fn string) bool {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == fn && fd.Pos() <= n.Pos() && n.End() <= fd.End() {
			return true
		}
	}
	return false
}
