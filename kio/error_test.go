package kio

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestError(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{&Error{Path: "a.yaml", Line: 3, Column: 5, Msg: "bad"}, "a.yaml:3:5: bad"},
		{&Error{Path: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{&Error{Path: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{&Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{&Error{Msg: "bad"}, "bad"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		var e *Error
		if !errors.As(fmt.Errorf("wrapped: %w", c.err), &e) || e != c.err {
			t.Errorf("errors.As does not find %v", c.err)
		}
	}
}

// TestOneLocatedError: psafix has one located error, this package's Error, and
// fixers.FileError, which wraps it; every other error is an errors.New sentinel or a wrapped
// value found with errors.Is and errors.As, never a type of its own (go/scanner's rule).
func TestOneLocatedError(t *testing.T) {
	allowed := map[string]bool{"kio.Error": true, "fixers.FileError": true}
	fset := token.NewFileSet()
	filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case d.IsDir() && p != ".." && (d.Name() == "fixtures" || strings.HasPrefix(d.Name(), ".")):
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Error" || fd.Type.Params.NumFields() != 0 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if s, ok := recv.(*ast.StarExpr); ok {
				recv = s.X
			}
			if id, ok := recv.(*ast.Ident); ok && !allowed[f.Name.Name+"."+id.Name] {
				t.Errorf("%s: %s.%s has an Error method: wrap kio.Error (%%w) or use a sentinel instead", fset.Position(fd.Pos()), f.Name.Name, id.Name)
			}
		}
		return nil
	})
}
