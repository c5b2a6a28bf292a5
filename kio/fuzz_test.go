package kio

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// seeds adds the shared torture and round-trip files (when PSAFIX_CORPUS names the shared
// folder) and a few inline documents to a fuzz target's seed corpus, which go test runs
// every time.
func seeds(f *testing.F, add func([]byte)) {
	for _, s := range []string{
		"",
		"---\n",
		"a: 1\n---\nb: 2\n...\n--- # c\nc: [1, 2]\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n",
		"apiVersion: v1\r\nkind: Pod\r\nspec:\r\n  securityContext: {}\r\n  containers: [{name: c, image: x}]",
		"\xef\xbb\xbfkind: Pod\nspec:\n  containers:\n    -   name: c\n        securityContext: ~\n",
		"{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"c\"}]}}\n",
		"k: |\n  # not a comment\n  ---\nj: &a {x: 1}\nl: *a\n",
	} {
		add([]byte(s))
	}
	dir := os.Getenv("PSAFIX_CORPUS")
	if dir == "" {
		return
	}
	for _, set := range []string{"torture", "roundtrip"} {
		files, _ := filepath.Glob(filepath.Join(dir, set, "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && filepath.Ext(p) != ".tsv" {
				add(b)
			}
		}
	}
}

// FuzzSplit: the segments and the marker lines between them tile the input exactly, in
// order, and each segment knows its first line.
func FuzzSplit(f *testing.F) {
	seeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		src := NewSource(data)
		segs := Split(src.Data)
		var joined []byte
		prev := 0
		for _, s := range segs {
			if s.Start < prev || s.End < s.Start || s.End > len(src.Data) {
				t.Fatalf("bad segment %+v after %d", s, prev)
			}
			for _, line := range bytes.SplitAfter(src.Data[prev:s.Start], []byte("\n")) {
				if len(line) > 0 && !isMarker(line) {
					t.Fatalf("non-marker bytes between segments: %q", line)
				}
			}
			if s.Start < len(src.Data) && src.LineOf(s.Start) != s.Line {
				t.Fatalf("segment at %d says line %d, is line %d", s.Start, s.Line, src.LineOf(s.Start))
			}
			joined = append(joined, src.Data[prev:s.End]...)
			prev = s.End
		}
		joined = append(joined, src.Data[prev:]...)
		if !bytes.Equal(joined, src.Data) {
			t.Fatalf("join(split(b)) != b")
		}
		if !bytes.Equal(src.Bytes(), data) {
			t.Fatalf("Source.Bytes() != input")
		}
		if len(data) <= 512 {
			checkPositions(t, data)
		}
	})
}

// collect lists the block or flow mappings and sequences of a document (not through
// aliases) with the path that reaches each from the root.
type located struct {
	n    *yaml.Node
	path []int // indexes into Content
}

func collect(n *yaml.Node, path []int, out *[]located) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		*out = append(*out, located{n, append([]int{}, path...)})
	}
	for i, c := range n.Content {
		// Complex keys ("[a]: 1") are not places anyone edits.
		if c.Kind != yaml.AliasNode && !(n.Kind == yaml.MappingNode && i%2 == 0) {
			collect(c, append(path, i), out)
		}
	}
}

func follow(n *yaml.Node, path []int) *yaml.Node {
	for _, i := range path {
		if n == nil || i >= len(n.Content) {
			return nil
		}
		n = n.Content[i]
	}
	return n
}

// plainTree reports whether a document has no aliases, anchors or merge keys.
func plainTree(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == "!!merge" {
		return false
	}
	for _, c := range n.Content {
		if !plainTree(c) {
			return false
		}
	}
	return true
}

// valueAt finds, in decoded values, the value of the node at an index path of root.
func valueAt(v any, root *yaml.Node, path []int) any {
	n := root
	for _, i := range path {
		switch n.Kind {
		case yaml.MappingNode:
			v = v.(map[string]any)[n.Content[i-1].Value]
		case yaml.SequenceNode:
			v = v.([]any)[i]
		}
		n = n.Content[i]
	}
	return v
}

func setValueAt(v *any, root *yaml.Node, path []int, x any) {
	if len(path) == 0 {
		*v = x
		return
	}
	parent := valueAt(*v, root, path[:len(path)-1])
	pn := follow(root, path[:len(path)-1])
	i := path[len(path)-1]
	switch pn.Kind {
	case yaml.MappingNode:
		parent.(map[string]any)[pn.Content[i-1].Value] = x
	case yaml.SequenceNode:
		parent.([]any)[i] = x
	}
}

// FuzzEditor: a random sequence of edits (new keys, appended items, changed scalars) gives
// a document that parses, holds every value that was set, keeps every comment, and is
// otherwise the same object. The editor may refuse an edit; it must never corrupt.
func FuzzEditor(f *testing.F) {
	seeds(f, func(b []byte) { f.Add(b, uint64(1)) })
	f.Fuzz(func(t *testing.T, data []byte, choice uint64) {
		src := NewSource(data)
		for i, seg := range Split(src.Data) {
			d, err := ParseDocument(src, seg, i)
			if err != nil || d.Root == nil {
				continue
			}
			before, err := ToValue(d.Root)
			if err != nil {
				continue
			}
			var nodes []located
			collect(d.Root, nil, &nodes)
			if len(nodes) == 0 {
				continue
			}
			ed := NewEditor(d)
			var buf [8]byte
			binary.LittleEndian.PutUint64(buf[:], choice)
			type setOp struct {
				at  located
				key string
				v   Value
			}
			var sets []setOp
			var appends []located
			for k := 0; k < 3; k++ {
				at := nodes[int(buf[k])%len(nodes)]
				switch {
				case at.n.Kind == yaml.MappingNode:
					key := []string{"psafixNew", "securityContext", "x"}[int(buf[3+k])%3]
					if k2, _ := Lookup(at.n, key); k2 != nil {
						continue
					}
					v := []Value{Bool(true), Int(65532), Str("RuntimeDefault"), M("type", Str("RuntimeDefault")), List{Str("ALL")}}[int(buf[6])%5]
					ed.Set(at.n, []string{key}, v)
					sets = append(sets, setOp{at, key, v})
				case at.n.Kind == yaml.SequenceNode && !hasAlias(at.n):
					if !hasItem(at.n, Str("psafix-item")) && !containsNode(appends, at.n) {
						appends = append(appends, at)
					}
					ed.AppendItem(at.n, Str("psafix-item"))
				}
			}
			edits, err := ed.Edits()
			if err != nil {
				continue
			}
			var local []Edit
			for _, e := range edits {
				local = append(local, Edit{Start: e.Start - seg.Start, End: e.End - seg.Start, Text: e.Text})
			}
			text := src.Data[seg.Start:seg.End]
			out := Apply(text, local)
			nsrc := NewSource(out)
			if len(Split(nsrc.Data)) != len(Split(text)) {
				t.Fatalf("edit created a document boundary:\n%s", out)
			}
			nd, err := ParseDocument(nsrc, Segment{End: len(nsrc.Data), Line: 1}, 0)
			if err != nil || nd.Root == nil {
				t.Fatalf("edited document does not parse: %v\n--- before\n%s\n--- after\n%s", err, text, out)
			}
			if diff := cmp.Diff(Comments(text), Comments(out)); diff != "" {
				t.Fatalf("comments changed:\n%s\n--- after\n%s", diff, out)
			}
			after, err := ToValue(nd.Root)
			if err != nil {
				t.Fatalf("edited document does not decode: %v\n%s", err, out)
			}
			// Undo the sets on the decoded values, then everything must be as before.
			for _, s := range sets {
				m := follow(nd.Root, s.at.path)
				if _, v := Lookup(m, s.key); v == nil {
					t.Fatalf("key %q not found after setting it\n%s", s.key, out)
				}
			}
			if plainTree(d.Root) {
				// Without aliases and merges, each node is one place in the decoded
				// values: take the edits back out and the rest must be as it was.
				for _, s := range sets {
					delete(valueAt(after, d.Root, s.at.path).(map[string]any), s.key)
				}
				for _, a := range appends {
					if l, ok := valueAt(after, d.Root, a.path).([]any); ok && len(l) > 0 {
						setValueAt(&after, d.Root, a.path, l[:len(l)-1])
					}
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Fatalf("edits changed other values (-before +after):\n%s\n--- after\n%s", diff, out)
				}
			}
		}
	})
}

func containsNode(l []located, n *yaml.Node) bool {
	for _, x := range l {
		if x.n == n {
			return true
		}
	}
	return false
}

func hasAlias(n *yaml.Node) bool {
	for _, c := range n.Content {
		if c.Kind == yaml.AliasNode {
			return true
		}
	}
	return false
}

// FuzzDeleteKey deletes a key of some mapping: the result parses, decodes to the original
// without that key (where the tree has no aliases), and loses no comment but those on the
// lines the deletion took (Edit.Deletes).
func FuzzDeleteKey(f *testing.F) {
	seeds(f, func(b []byte) { f.Add(b, uint8(1)) })
	f.Fuzz(func(t *testing.T, data []byte, choice uint8) {
		src := NewSource(data)
		for i, seg := range Split(src.Data) {
			d, err := ParseDocument(src, seg, i)
			if err != nil || d.Root == nil {
				continue
			}
			before, err := ToValue(d.Root)
			if err != nil {
				continue
			}
			var maps []located
			var nodes []located
			collect(d.Root, nil, &nodes)
			for _, l := range nodes {
				if l.n.Kind == yaml.MappingNode && len(l.n.Content) >= 2 && l.n.Content[0].ShortTag() != "!!merge" && l.n.Content[0].Kind == yaml.ScalarNode {
					maps = append(maps, l)
				}
			}
			if len(maps) == 0 {
				continue
			}
			at := maps[int(choice)%len(maps)]
			key := at.n.Content[0].Value
			if k, _ := Lookup(at.n, key); k != at.n.Content[0] {
				continue // a key written twice
			}
			ed := NewEditor(d)
			ed.DeleteKey(at.n, key)
			edits, err := ed.Edits()
			if err != nil {
				continue
			}
			var local []Edit
			var gone []string
			for _, e := range edits {
				local = append(local, Edit{Start: e.Start - seg.Start, End: e.End - seg.Start, Text: e.Text})
				if e.Deletes {
					gone = append(gone, Comments(src.Data[e.Start:e.End])...)
				}
			}
			text := src.Data[seg.Start:seg.End]
			out := Apply(text, local)
			nsrc := NewSource(out)
			if len(Split(nsrc.Data)) != len(Split(text)) {
				t.Fatalf("edit created a document boundary:\n%s", out)
			}
			nd, err := ParseDocument(nsrc, Segment{End: len(nsrc.Data), Line: 1}, 0)
			if err != nil || nd.Root == nil {
				t.Fatalf("edited document does not parse: %v\n--- before\n%s\n--- after\n%s", err, text, out)
			}
			have := map[string]int{}
			for _, c := range Comments(text) {
				have[c]++
			}
			for _, c := range gone {
				have[c]--
			}
			for _, c := range Comments(out) {
				have[c]--
			}
			for c, n := range have {
				if n > 0 {
					t.Fatalf("comment %q lost\n--- before\n%s\n--- after\n%s", c, text, out)
				}
			}
			after, err := ToValue(nd.Root)
			if err != nil {
				t.Fatalf("edited document does not decode: %v\n%s", err, out)
			}
			if plainTree(d.Root) {
				if m, ok := valueAt(before, d.Root, at.path).(map[string]any); ok {
					delete(m, key)
				}
				if diff := cmp.Diff(before, after); diff != "" {
					t.Fatalf("the deletion changed other values (-want +got):\n%s\n--- before\n%s\n--- after\n%s", diff, text, out)
				}
			}
		}
	})
}
