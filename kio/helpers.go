package kio

import (
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The helpers below are what every reader of manifests needs around the editor: a file
// parsed into documents, a value looked up by its path, the objects of a document, edits
// applied to a file.

// ParseFile splits a file into its documents and parses each one. A document that is not
// valid YAML makes the file an *Error at its line ("invalid YAML: ..."), as a half-read
// file is not one to edit.
func ParseFile(path string, data []byte) (*Source, []*Document, error) {
	src := NewSource(data)
	var docs []*Document
	for i, seg := range Split(src.Data) {
		d, err := ParseAt(path, src, seg, i)
		if err != nil {
			return src, docs, err
		}
		docs = append(docs, d)
	}
	return src, docs, nil
}

// ParseAt parses document i of a file (its segment seg) as ParseFile does: a document that
// is not valid YAML is an *Error of path at its line ("invalid YAML: ..."). For a reader
// that parses part of a file at a time.
func ParseAt(path string, src *Source, seg Segment, i int) (*Document, error) {
	d, err := ParseDocument(src, seg, i)
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return nil, &Error{Path: path, Line: pe.Line, Column: pe.Column, Msg: "invalid YAML: " + pe.Msg}
		}
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	return d, nil
}

// Documents yields the documents of a file that parse and hold something, one at a time,
// skipping the others: for a reader that only looks (the images of a file, its Namespaces)
// and leaves telling about a bad document to the fix, which refuses the whole file. One
// document's tree is held at a time, however large the file.
func Documents(data []byte) iter.Seq[*Document] {
	return func(yield func(*Document) bool) {
		src := NewSource(data)
		for i, seg := range Split(src.Data) {
			d, err := ParseDocument(src, seg, i)
			if err != nil || d.Root == nil {
				continue
			}
			if !yield(d) {
				return
			}
		}
	}
}

// OneRoot is the root of the one document of a file that holds something (a config file),
// nil when none does; second is the root of another one, for the error that file then is.
func OneRoot(docs []*Document) (root, second *yaml.Node) {
	for _, d := range docs {
		if d.Root == nil {
			continue
		}
		if root != nil {
			return root, d.Root
		}
		root = d.Root
	}
	return root, nil
}

// LookupPath follows keys down from a mapping, through aliases; nil when one is missing.
func LookupPath(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil {
			return nil
		}
		_, n = Lookup(Resolve(n), k)
	}
	if n == nil {
		return nil
	}
	return Resolve(n)
}

// ScalarAt is the scalar at keys below n, "" when there is none.
func ScalarAt(n *yaml.Node, keys ...string) string {
	v := LookupPath(n, keys...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// Objects returns the objects of a document: its root mapping, or the items of a List kind
// (v1 List, NamespaceList...), those of nested Lists included.
func Objects(root *yaml.Node) []*yaml.Node {
	n := Resolve(root)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	if strings.HasSuffix(ScalarAt(n, "kind"), "List") {
		if items := LookupPath(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			var out []*yaml.Node
			for _, it := range items.Content {
				out = append(out, Objects(it)...)
			}
			return out
		}
	}
	return []*yaml.Node{n}
}

// ApplyEdits applies edits, in any order, to a file: its new bytes, with its BOM.
func ApplyEdits(src *Source, edits []Edit) ([]byte, error) {
	sorted, err := SortEdits(edits)
	if err != nil {
		return nil, err
	}
	res := Apply(src.Data, sorted)
	if src.BOM {
		res = append(append([]byte{}, BOM...), res...)
	}
	return res, nil
}

// Count says "1 file" or "2 files": every count psafix prints to a reader goes through it,
// so that no message says "1 files". Machine-read keys (JSON, SARIF) never do.
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ParseField reads a field path as fixers.Change and KRM results write it
// (spec.template.metadata.annotations[example.com/x].y, containers[0]): keys joined by dots,
// a key that is not a plain word in brackets, list indexes in brackets. Each step is a
// string (a key) or an int (an index).
func ParseField(f string) ([]any, error) {
	var out []any
	for i := 0; i < len(f); {
		switch f[i] {
		case '.':
			i++
		case '[':
			j := strings.IndexByte(f[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad field path %q", f)
			}
			inner := f[i+1 : i+j]
			if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				out = append(out, n)
			} else {
				out = append(out, inner)
			}
			i += j + 1
		default:
			j := strings.IndexAny(f[i:], ".[")
			if j < 0 {
				j = len(f) - i
			}
			out = append(out, f[i:i+j])
			i += j
		}
	}
	return out, nil
}
