package kio

import (
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestFillNull: a key whose value is null is filled when the null is written as nothing,
// "~" or "null" (with an anchor or a comment around it), and refused, never half-edited,
// when it carries a tag or stands on a line of its own.
func TestFillNull(t *testing.T) {
	tests := []struct {
		value string // after "sc:"
		want  string // the document after setting sc.a = 1; "" when refused
	}{
		{"", "sc:\n  a: 1\nz: 2\n"},
		{" ~", "sc:\n  a: 1\nz: 2\n"},
		{" null # none yet", "sc: # none yet\n  a: 1\nz: 2\n"},
		{" # none yet", "sc: # none yet\n  a: 1\nz: 2\n"},
		{" &sc", "sc: &sc\n  a: 1\nz: 2\n"},
		{" !!null", ""},
		{" !!null ~", ""},
		{"\n  !", ""},
		{" &sc ~", ""},
	}
	for _, tt := range tests {
		checkFill(t, "sc:"+tt.value+"\nz: 2\n", []string{"sc", "a"}, tt.want)
	}
	// A scalar where the null was.
	scalars := []struct{ value, want string }{
		{"", "sc: 1\nz: 2\n"},
		{" ~ # c", "sc: 1 # c\nz: 2\n"},
		{" &a", "sc: &a 1\nz: 2\n"},
		{" &a # c", "sc: &a 1 # c\nz: 2\n"},
		{" !!null", ""},
	}
	for _, tt := range scalars {
		checkFill(t, "sc:"+tt.value+"\nz: 2\n", []string{"sc"}, tt.want)
	}
}

// checkFill sets path to 1 in text's root mapping and compares the result with want ("" when
// the editor must refuse).
func checkFill(t *testing.T, text string, path []string, want string) {
	t.Helper()
	src := NewSource([]byte(text))
	d, err := ParseDocument(src, Split(src.Data)[0], 0)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	ed := NewEditor(d)
	ed.Set(d.Root, path, Int(1))
	edits, err := ed.Edits()
	switch {
	case want == "" && err == nil:
		t.Errorf("%q: filled, want refused:\n%s", text, Apply(src.Data, edits))
	case want != "" && err != nil:
		t.Errorf("%q: %v", text, err)
	case want != "":
		if got := string(Apply(src.Data, edits)); got != want {
			t.Errorf("%q: got\n%s\nwant\n%s", text, got, want)
		}
	}
}

// TestAnchoredEdits: an anchored node is edited when its aliases stand under the same key
// (they get the same fix), and refused when another key uses it.
func TestAnchoredEdits(t *testing.T) {
	checkFill(t, "a:\n  x: &v 0\nb:\n  x: *v\n", []string{"a", "x"}, "a:\n  x: &v 1\nb:\n  x: *v\n")
	checkFill(t, "a:\n  x: &v 0\nb:\n  y: *v\n", []string{"a", "x"}, "")
	checkFill(t, "a:\n  x: &v 0\nb:\n- *v\n", []string{"a", "x"}, "")
	checkFill(t, "a:\n  x: &v ~\nb:\n  y: *v\n", []string{"a", "x"}, "")
	checkFill(t, "a:\n  x: &v 0\n", []string{"a", "x"}, "a:\n  x: &v 1\n")
	// A null or a mapping anchored under one key and aliased under another (FuzzFixFile
	// 95271c368c143c2d).
	checkFill(t, "c:\n  k: &sc\n  sc: *sc\n", []string{"c", "k", "x"}, "")
	checkFill(t, "c:\n  k: &sc {y: 0}\n  sc: *sc\n", []string{"c", "k", "x"}, "")
	checkFill(t, "c:\n  sc: &sc\nd:\n  sc: *sc\n", []string{"c", "sc", "x"}, "c:\n  sc: &sc\n    x: 1\nd:\n  sc: *sc\n")
	// Merged: "<<: *d" under c2 takes the role of c2, not of "<<".
	checkFill(t, "c: &d\n  x: 0\nc2:\n  <<: *d\n", []string{"c", "z"}, "")
	checkFill(t, "c: &d\n  x: 0\nc2:\n  c:\n    <<: *d\n", []string{"c", "z"}, "c: &d\n  x: 0\n  z: 1\nc2:\n  c:\n    <<: *d\n")
	// In a merge list.
	checkFill(t, "c: &d\n  x: 0\nc2:\n  c:\n    <<: [*d]\n", []string{"c", "z"}, "c: &d\n  x: 0\n  z: 1\nc2:\n  c:\n    <<: [*d]\n")
	checkFill(t, "c: &d\n  x: 0\nc2:\n  <<: [*d]\n", []string{"c", "z"}, "")
}

// TestLineEndings: an inserted line takes the ending of the line it follows; every other
// line keeps its own, in mixed files too; JSON added to a CRLF file ends in CRLF, and JSON
// indented with tabs (jq --tab) gets tab-indented members.
func TestLineEndings(t *testing.T) {
	// Mixed: the mapping's last line ends in CRLF, the file mostly in LF.
	checkFill(t, "c:\n  x: 0\r\nz: 2\n", []string{"c", "v"}, "c:\n  x: 0\r\n  v: 1\r\nz: 2\n")
	checkFill(t, "c:\r\n  x: 0\nz: 2\r\nw: 3\r\n", []string{"c", "v"}, "c:\r\n  x: 0\n  v: 1\nz: 2\r\nw: 3\r\n")
	// Filling a null: after the key's line, with its ending.
	checkFill(t, "a: 1\nc:\r\nz: 2\n", []string{"c", "v"}, "a: 1\nc:\r\n  v: 1\r\nz: 2\n")
	// Pretty JSON in a CRLF file.
	checkFill(t, "{\r\n  \"c\": {\r\n    \"x\": 0\r\n  }\r\n}\r\n", []string{"c", "v"},
		"{\r\n  \"c\": {\r\n    \"x\": 0,\r\n    \"v\": 1\r\n  }\r\n}\r\n")
	checkFill(t, "{\r\n  \"c\": {\r\n    \"x\": 0\r\n  }\r\n}\r\n", []string{"c", "s", "v"},
		"{\r\n  \"c\": {\r\n    \"x\": 0,\r\n    \"s\": {\r\n      \"v\": 1\r\n    }\r\n  }\r\n}\r\n")
	checkFill(t, "{\r\n  \"c\": {},\r\n  \"z\": 1\r\n}\r\n", []string{"c", "v"},
		"{\r\n  \"c\": {\r\n    \"v\": 1\r\n  },\r\n  \"z\": 1\r\n}\r\n")
	// jq --tab.
	checkFill(t, "{\n\t\"c\": {\n\t\t\"x\": 0\n\t}\n}\n", []string{"c", "s", "v"},
		"{\n\t\"c\": {\n\t\t\"x\": 0,\n\t\t\"s\": {\n\t\t\t\"v\": 1\n\t\t}\n\t}\n}\n")
	checkFill(t, "{\n\t\"c\": {},\n\t\"z\": 1\n}\n", []string{"c", "v"}, "{\n\t\"c\": {\n\t\t\"v\": 1\n\t},\n\t\"z\": 1\n}\n")
}

// TestFlowYAMLNotJSON: a flow mapping written as YAML gets YAML (no quoted keys); JSON gets
// JSON, with or without a comment before it.
func TestFlowYAMLNotJSON(t *testing.T) {
	checkFill(t, "{c: {x: 0}}\n", []string{"c", "v"}, "{c: {x: 0, v: 1}}\n")
	checkFill(t, "# a comment\n{c: {x: 0}}\n", []string{"c", "s", "v"}, "# a comment\n{c: {x: 0, s: {v: 1}}}\n")
	checkFill(t, "{c: {\"x\": 0}}\n", []string{"c", "v"}, "{c: {\"x\": 0, v: 1}}\n")
	checkFill(t, "{\"c\": {\"x\": 0}}\n", []string{"c", "v"}, "{\"c\": {\"x\": 0, \"v\": 1}}\n")
	checkFill(t, "# a comment\n{\"c\": {\"x\": 0}}\n", []string{"c", "v"}, "# a comment\n{\"c\": {\"x\": 0, \"v\": 1}}\n")
}

// TestSharedAnchorLevels: an anchor shared by a mapping at one level (a pod's
// securityContext) and an alias under the same key in a list item (a container's) is not
// given the item's new keys: the alias becomes a mapping that merges the anchor. An anchor
// in a list item used at another level is refused.
func TestSharedAnchorLevels(t *testing.T) {
	pod := "spec:\n  sc: &ids\n    u: 1\n  cs:\n  - n: a\n    sc: *ids # same\n"
	checkFillAt(t, pod, []string{"spec", "cs", "0", "sc", "a"},
		"spec:\n  sc: &ids\n    u: 1\n  cs:\n  - n: a\n    sc: # same\n      <<: *ids\n      a: 1\n")
	checkFillAt(t, pod, []string{"spec", "sc", "a"}, "spec:\n  sc: &ids\n    u: 1\n    a: 1\n  cs:\n  - n: a\n    sc: *ids # same\n")
	// A key the anchor has already is not changed for one use.
	checkFillAt(t, strings.Replace(pod, "u: 1", "u: 0", 1), []string{"spec", "cs", "0", "sc", "u"}, "")
	flow := "spec:\n  sc: &ids {u: 1}\n  cs:\n  - {n: a, sc: *ids}\n"
	checkFillAt(t, flow, []string{"spec", "cs", "0", "sc", "a"}, "spec:\n  sc: &ids {u: 1}\n  cs:\n  - {n: a, sc: {<<: *ids, a: 1}}\n")
	// The anchor in the item, the alias on the pod.
	checkFillAt(t, "spec:\n  cs:\n  - n: a\n    sc: &ids\n      u: 1\n  sc: *ids\n", []string{"spec", "cs", "0", "sc", "a"}, "")
}

// checkFillAt is checkFill for a path that may pass through sequence items (a number).
func checkFillAt(t *testing.T, text string, path []string, want string) {
	t.Helper()
	src := NewSource([]byte(text))
	d, err := ParseDocument(src, Split(src.Data)[0], 0)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	m := d.Root
	i := 0
	for ; i < len(path); i++ {
		n, err := strconv.Atoi(path[i])
		if err != nil {
			continue
		}
		_, s := Lookup(m, path[i-1])
		if i > 1 {
			_, s = Lookup(lookupPath(m, path[:i-1]), path[i-1])
		}
		m = Resolve(s.Content[n])
		path = path[i+1:]
		i = -1
	}
	ed := NewEditor(d)
	ed.Set(m, path, Int(1))
	edits, err := ed.Edits()
	switch {
	case want == "" && err == nil:
		t.Errorf("%q: edited, want refused:\n%s", text, Apply(src.Data, edits))
	case want != "" && err != nil:
		t.Errorf("%q: %v", text, err)
	case want != "":
		if got := string(Apply(src.Data, edits)); got != want {
			t.Errorf("%q: got\n%s\nwant\n%s", text, got, want)
		}
	}
}

func lookupPath(m *yaml.Node, path []string) *yaml.Node {
	for _, k := range path {
		_, m = Lookup(m, k)
	}
	return m
}

// TestRefusedBefore: inputs the editor once refused or broke.
func TestRefusedBefore(t *testing.T) {
	// JSON "securityContext": null, on one line and pretty-printed.
	checkFill(t, `{"c": null, "z": 1}`+"\n", []string{"c", "v"}, `{"c": {"v": 1}, "z": 1}`+"\n")
	checkFill(t, "{\n  \"c\": null,\n  \"z\": 1\n}\n", []string{"c", "v"}, "{\n  \"c\": {\n    \"v\": 1\n  },\n  \"z\": 1\n}\n")
	checkFill(t, "{c: ~, z: 1}\n", []string{"c", "v"}, "{c: {v: 1}, z: 1}\n")
	// An anchored empty mapping keeps its anchor when it becomes a block.
	checkFill(t, "x:\n  c: &a {}\ny:\n  c: *a\n", []string{"x", "c", "v"}, "x:\n  c: &a\n    v: 1\ny:\n  c: *a\n")
	// A double-quoted string continued on a line that starts with '#': the new key goes
	// after it, not into it.
	checkFill(t, "c:\n  s: \"a\n    # b\"\nz: 1\n", []string{"c", "v"}, "c:\n  s: \"a\n    # b\"\n  v: 1\nz: 1\n")
	checkFill(t, "c:\n  s: 'a\n    # b'\nz: 1\n", []string{"c", "v"}, "c:\n  s: 'a\n    # b'\n  v: 1\nz: 1\n")
}

// TestSurrogatePairs: JSON that writes a character beyond U+FFFF as a surrogate pair parses,
// with the character's value, and its positions are those of the file.
func TestSurrogatePairs(t *testing.T) {
	text := `{"a": "\ud83c\udf70 \/", "c": {"x": 0}}` + "\n"
	src := NewSource([]byte(text))
	d, err := ParseDocument(src, Split(src.Data)[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, v := Lookup(d.Root, "a"); v == nil || v.Value != "🍰 /" {
		t.Fatalf("value %v", v)
	}
	checkFill(t, text, []string{"c", "v"}, `{"a": "\ud83c\udf70 \/", "c": {"x": 0, "v": 1}}`+"\n")
}

// TestMultiLineFlowComments: in a flow collection written over several lines, a comment
// after the last entry stays with it when entries are added, and removing an item keeps
// every comment.
func TestMultiLineFlowComments(t *testing.T) {
	checkFill(t, "c: {\n  x: 0 # last\n}\n", []string{"c", "v"}, "c: {\n  x: 0, # last\n  v: 1\n}\n")
	checkFill(t, "c: {\n  x: 0, # last\n}\n", []string{"c", "v"}, "c: {\n  x: 0, # last\n  v: 1\n}\n")
	checkFill(t, "c: {\n  x: 0\n}\n", []string{"c", "v"}, "c: {\n  x: 0,\n  v: 1\n}\n")
	remove := func(text string, i int, want string) {
		t.Helper()
		src := NewSource([]byte(text))
		d, err := ParseDocument(src, Split(src.Data)[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		ed := NewEditor(d)
		_, s := Lookup(d.Root, "l")
		ed.Remove(s, i)
		edits, err := ed.Edits()
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: removed, want refused:\n%s", text, Apply(src.Data, edits))
		case want != "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "":
			got := string(Apply(src.Data, edits))
			if got != want {
				t.Errorf("%q: got\n%s\nwant\n%s", text, got, want)
			}
			ns := NewSource([]byte(got))
			if _, err := ParseDocument(ns, Split(ns.Data)[0], 0); err != nil {
				t.Errorf("%q: the result does not parse: %v", got, err)
			}
		}
	}
	list := "l: [\n  a, # keep a\n  b, # about b\n  c # last\n]\n"
	remove(list, 1, "l: [\n  a, # keep a\n  # about b\n  c # last\n]\n")
	remove(list, 2, "l: [\n  a, # keep a\n  b, # about b\n  # last\n]\n")
	remove("l: [\n  a, # keep a\n  b\n]\n", 1, "l: [\n  a, # keep a\n]\n")
	remove("l: [\n  a, b, # two\n  c\n]\n", 1, "")
	// Without comments the list is rewritten on one line, as before.
	remove("l: [\n  a,\n  b\n]\n", 1, "l: [a]\n")
	remove("l: [a, b] # c\n", 1, "l: [a] # c\n")
}

// TestDeleteKey: a deleted key goes with its value; the comments on its lines stay on lines
// of their own, and one above it stays where it is; a block mapping left empty is
// "{}"; flow mappings on one line are written again; in pretty-printed JSON the comma of the
// member that becomes the last goes; keys added at the same time take the deleted one's place.
func TestDeleteKey(t *testing.T) {
	del := func(text string, add Value, want string) {
		t.Helper()
		src := NewSource([]byte(text))
		d, err := ParseDocument(src, Split(src.Data)[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		ed := NewEditor(d)
		c := LookupPath(d.Root, "s", "c")
		ed.DeleteKey(c, "add")
		if add != nil {
			ed.Set(c, []string{"drop"}, add)
		}
		edits, err := ed.Edits()
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: deleted, want refused:\n%s", text, Apply(src.Data, edits))
		case want != "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "":
			if got := string(Apply(src.Data, edits)); got != want {
				t.Errorf("%q: got\n%s\nwant\n%s", text, got, want)
			}
		}
	}
	del("s:\n  c:\n    # above\n    add: # key\n    - A # item\n    - B\n    drop: [ALL]\n", nil,
		"s:\n  c:\n    # above\n    # key\n    # item\n    drop: [ALL]\n")
	del("s:\n  c:\n    add: [A]\n  x: 1\n", nil, "s:\n  c: {}\n  x: 1\n")
	del("s:\n  c:\n    add: [A]\n", List{Str("ALL")}, "s:\n  c:\n    drop:\n    - ALL\n")
	del("s:\r\n  c:\r\n    drop: [ALL]\r\n    add: [A]\r\n  x: 1\r\n", nil, "s:\r\n  c:\r\n    drop: [ALL]\r\n  x: 1\r\n")
	del("s: {c: {add: [A], drop: [ALL]}}\n", nil, "s: {c: {drop: [ALL]}}\n")
	del("s: {c: {add: [A]}}\n", List{Str("ALL")}, "s: {c: {drop: [ALL]}}\n")
	del("s:\n  c: {\n    drop: [ALL], # all\n    add: [A] # a\n  }\n", nil, "s:\n  c: {\n    drop: [ALL] # all\n    # a\n  }\n")
	del("s:\n  c: {\n    add: [A], drop: [ALL]\n  }\n", nil, "")
	json := "{\n  \"s\": {\n    \"c\": {\n      \"drop\": [\"ALL\"],\n      \"add\": [\"A\"]\n    }\n  }\n}\n"
	del(json, nil, "{\n  \"s\": {\n    \"c\": {\n      \"drop\": [\"ALL\"]\n    }\n  }\n}\n")
	json = "{\n\t\"s\": {\n\t\t\"c\": {\n\t\t\t\"add\": [\"A\"]\n\t\t}\n\t}\n}\n"
	del(json, List{Str("ALL")}, "{\n\t\"s\": {\n\t\t\"c\": {\n\t\t\t\"drop\": [\"ALL\"]\n\t\t}\n\t}\n}\n")
	// No such key: nothing to do.
	del("s:\n  c:\n    drop: [ALL]\n", nil, "s:\n  c:\n    drop: [ALL]\n")
}

// TestQuotedContinuationInFlow: a quoted item of a flow collection whose continuation line
// starts with '#' is no comment: what is added after the collection goes after its closing
// bracket, never inside the string.
func TestQuotedContinuationInFlow(t *testing.T) {
	checkFill(t, "c:\n  l: [\"a\n    # b\", x]\n", []string{"c", "v"}, "c:\n  l: [\"a\n    # b\", x]\n  v: 1\n")
	checkFill(t, "c:\n  m: {k: 'a\n    # b', j: x}\n", []string{"c", "v"}, "c:\n  m: {k: 'a\n    # b', j: x}\n  v: 1\n")
}
