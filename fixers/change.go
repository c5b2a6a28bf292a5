package fixers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Change is one edit a fixer made, as the engine records it: which fixer, in which
// workload and container, at which field, from what to what. Every reader of what psafix
// did (notes, JSON, SARIF, the KRM function's results) reads these; none re-parses or
// re-diffs the fixed file.
type Change struct {
	Fixer string
	// Object names the workload as Report.Object does (Kind/name, Kind/namespace/name).
	Object                string
	Kind, Namespace, Name string
	// Doc is the index of the document in its file.
	Doc int
	// Line and Column locate the change in the original file: the key it changes, or the
	// first key of the mapping it adds to.
	Line, Column int
	// Container is the name of the container changed, empty for the pod spec or the pod
	// template's metadata; ContainerField is "containers", "initContainers" or
	// "ephemeralContainers" and ContainerIndex its position there.
	Container, ContainerField string
	ContainerIndex            int
	// Scope is the field path of what was changed as a whole: the container
	// (spec.template.spec.containers[0]), the pod spec (spec.template.spec) or the pod
	// template's metadata (spec.template.metadata).
	Scope string
	// Field is the field path of the change from the document's root, as KRM results
	// write it: spec.template.spec.containers[0].securityContext.runAsUser,
	// spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app].
	// For an item appended to a list or removed from it, the item (its index in the fixed
	// file, in the original).
	Field string
	Op    Op
	// Old is the value the field had, as compact JSON; empty when it had none. New is
	// the value written (for Append, the item added), as compact JSON; empty for Remove.
	Old, New string
	// Explicit marks a change of a value the author wrote (a replaced scalar, a removed
	// item), rather than a field added.
	Explicit bool
	// Risky marks an edit whose safety depends on what the image does at run time (a UID,
	// dropped capabilities, a read-only root); Assumption says what psafix assumed ("UID
	// 65532, image user unknown").
	Risky      bool
	Assumption string
	// Checks are the checks of the fixer that failed before the fix: what the change
	// answers (none for read-only-root, which no level requires).
	Checks []policy.CheckID
}

// Op is what a Change did to its field.
type Op string

// The operations of a Change.
const (
	OpSet    Op = "set"    // the field was set (added, or its value replaced)
	OpAppend Op = "append" // an item was appended to the list
	OpRemove Op = "remove" // the item was removed from the list
)

// Assume marks the change risky, with what psafix assumed. It returns the change, and
// does nothing on a nil change (an edit that changed nothing).
func (c *Change) Assume(assumption string) *Change {
	if c != nil {
		c.Risky, c.Assumption = true, assumption
	}
	return c
}

// String is the change as a reader of a review would write it:
// "securityContext.runAsUser: 0 -> 65532".
func (c *Change) String() string {
	field := strings.TrimPrefix(strings.TrimPrefix(c.Field, c.Scope), ".")
	switch c.Op {
	case OpAppend:
		if i := strings.LastIndexByte(field, '['); i > 0 {
			field = field[:i]
		}
		return field + ": added " + c.New
	case OpRemove:
		return field + ": removed " + c.Old
	}
	if c.Old != "" {
		return field + ": " + c.Old + " -> " + c.New
	}
	return field + ": " + c.New
}

// Editor is what fixers record changes with. Each change goes to the document's
// kio.Editor, which turns it into byte edits, and into the pod's record with the fixer
// that made it, its container and its field path: fixers do no bookkeeping of their own.
// Each method returns the change recorded, or nil when the edit changed nothing (the value
// was already there).
type Editor struct {
	ed *kio.Editor
	p  *Pod

	// What record works out once per pod: the workload's name, where its parts are, and
	// the checks of the fixer running that failed.
	object string
	known  []known
	fixer  *Fixer
	checks []policy.CheckID
}

// known is a node of the pod whose place record knows without searching: the pod spec,
// the pod template's metadata, a container.
type known struct {
	node  *yaml.Node
	scope string // field path from the document's root
	field string // the container's field, or ""
	index int
	name  string
}

// Set makes the value at path below mapping m equal v (see kio.Editor.Set). A *Map merged
// into an existing mapping is recorded key by key.
func (e *Editor) Set(m *yaml.Node, path []string, v kio.Value) *Change {
	if mv, ok := v.(*kio.Map); ok {
		if _, n := lookupPath(m, path); n != nil && n.Kind == yaml.MappingNode {
			var last *Change
			for _, k := range mv.Keys() {
				x, _ := mv.Get(k)
				if c := e.Set(m, append(path[:len(path):len(path)], k), x); c != nil {
					last = c
				}
			}
			return last
		}
	}
	before := e.ed.Changes()
	e.ed.Set(m, path, v)
	if e.ed.Changes() == before {
		return nil
	}
	return e.record(m, path, -1, OpSet, v)
}

// Append adds item to the sequence at path below m, creating it (see kio.Editor.Append).
func (e *Editor) Append(m *yaml.Node, path []string, item kio.Value) *Change {
	before := e.ed.Changes()
	e.ed.Append(m, path, item)
	if e.ed.Changes() == before {
		return nil
	}
	return e.record(m, path, -1, OpAppend, item)
}

// Remove deletes item i of sequence s.
func (e *Editor) Remove(s *yaml.Node, i int) *Change {
	before := e.ed.Changes()
	e.ed.Remove(s, i)
	if e.ed.Changes() == before {
		return nil
	}
	return e.record(s, nil, i, OpRemove, nil)
}

// DeleteKey deletes key, with its value, from mapping m.
func (e *Editor) DeleteKey(m *yaml.Node, key string) *Change {
	before := e.ed.Changes()
	e.ed.DeleteKey(m, key)
	if e.ed.Changes() == before {
		return nil
	}
	return e.record(m, []string{key}, -1, OpRemove, nil)
}

// record adds a change at path below node m (item i of it for OpRemove) to the pod's
// record.
func (e *Editor) record(m *yaml.Node, path []string, item int, op Op, v kio.Value) *Change {
	p := e.p
	w := p.W
	if e.known == nil {
		e.learn()
	}
	c := &Change{Object: e.object, Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, Doc: p.doc, Op: op}
	var at0 *known
	rm := kio.Resolve(m)
	for i := range e.known {
		if e.known[i].node == rm {
			at0 = &e.known[i]
			break
		}
	}
	if at0 != nil {
		c.Scope, c.Field = at0.scope, at0.scope
		c.ContainerField, c.ContainerIndex, c.Container = at0.field, at0.index, at0.name
	} else {
		rel := nodePath(w.Template, m)
		if rel == nil {
			// Not below the pod template (an anchor defined elsewhere): located by the node.
			rel = []any{}
		}
		base := fieldPath(w.Path)
		// Scope: the container, the pod spec or the pod template's metadata.
		scope := rel
		switch {
		case len(rel) >= 3 && rel[0] == "spec" && isContainerField(rel[1]):
			scope = rel[:3]
			c.ContainerField, _ = rel[1].(string)
			c.ContainerIndex, _ = rel[2].(int)
			c.Container = containerName(p, c.ContainerField, c.ContainerIndex)
		case len(rel) >= 1 && (rel[0] == "spec" || rel[0] == "metadata"):
			scope = rel[:1]
		}
		c.Scope = joinPath(base, fieldPath(scope))
		c.Field = joinPath(base, fieldPath(rel))
	}
	for _, k := range path {
		c.Field = appendKey(c.Field, k)
	}
	if op == OpRemove && item >= 0 {
		c.Field += "[" + strconv.Itoa(item) + "]"
	}

	// What was there: the node at the end of the path, or the deepest one on the way.
	key, node := lookupPath(m, path)
	at := firstKey(kio.Resolve(m))
	if key != nil {
		at = key
	} else if node == nil {
		if k := deepestKey(m, path); k != nil {
			at = k
		}
	}
	switch op {
	case OpRemove:
		if item < 0 && node != nil {
			c.Old = nodeJSON(node) // a key deleted with its value
		} else if s := kio.Resolve(m); s != nil && item >= 0 && item < len(s.Content) {
			c.Old = nodeJSON(s.Content[item])
			at = kio.Resolve(s.Content[item])
		}
		c.Explicit = true
	case OpSet:
		c.New = valueJSON(v)
		if node != nil && !kio.IsNull(node) {
			c.Old = nodeJSON(node)
			c.Explicit = node.Kind == yaml.ScalarNode
		}
	case OpAppend:
		c.New = valueJSON(v)
		// The item's index in the fixed file: after the list's items and those appended
		// before it.
		n := 0
		if node != nil && node.Kind == yaml.SequenceNode {
			n = len(node.Content)
		}
		prefix := c.Field + "["
		for _, o := range p.changes {
			if o.Op == OpAppend && strings.HasPrefix(o.Field, prefix) && !strings.Contains(o.Field[len(prefix):], ".") {
				n++
			}
		}
		c.Field += "[" + strconv.Itoa(n) + "]"
	}
	if at != nil {
		c.Line, c.Column = at.Line, at.Column
	}
	if f := p.fixer; f != nil {
		c.Fixer = f.ID
		if e.fixer != f {
			e.fixer, e.checks = f, nil
			for _, id := range f.Checks {
				if p.Fails(id) {
					e.checks = append(e.checks, id)
				}
			}
		}
		c.Checks = e.checks
	}
	p.changes = append(p.changes, c)
	return c
}

// learn finds the pod spec, the pod template's metadata and the containers, where fixers
// make most of their changes.
func (e *Editor) learn() {
	w := e.p.W
	e.object = w.ID()
	base := fieldPath(w.Path)
	spec := joinPath(base, "spec")
	e.known = append(e.known, known{node: kio.Resolve(w.Spec), scope: spec})
	if meta := w.PodMeta(); meta != nil {
		e.known = append(e.known, known{node: kio.Resolve(meta), scope: joinPath(base, "metadata")})
	}
	for _, field := range kio.ContainerFields {
		for i, n := range kio.Containers(w.Spec, field) {
			name := ""
			if _, v := kio.Lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
				name = v.Value
			}
			e.known = append(e.known, known{node: n, scope: spec + "." + field + "[" + strconv.Itoa(i) + "]", field: field, index: i, name: name})
		}
	}
}

// lookupPath follows path below m and returns the last key and its value, or nils when
// some key on the way is missing.
func lookupPath(m *yaml.Node, path []string) (key, val *yaml.Node) {
	val = kio.Resolve(m)
	for _, k := range path {
		key, val = kio.Lookup(val, k)
		if val == nil {
			return nil, nil
		}
	}
	return key, val
}

// deepestKey returns the key of the deepest mapping on path that exists below m.
func deepestKey(m *yaml.Node, path []string) *yaml.Node {
	var last *yaml.Node
	cur := m
	for _, k := range path {
		key, val := kio.Lookup(cur, k)
		if val == nil {
			break
		}
		last, cur = key, val
	}
	return last
}

// nodePath returns the path of keys and indexes from root to n (through aliases), or nil
// when n is not below root.
func nodePath(root, n *yaml.Node) []any {
	n = kio.Resolve(n)
	var path []any
	seen := map[*yaml.Node]bool{}
	var walk func(cur *yaml.Node) bool
	walk = func(cur *yaml.Node) bool {
		cur = kio.Resolve(cur)
		if cur == n {
			return true
		}
		if cur == nil || seen[cur] {
			return false
		}
		seen[cur] = true
		switch cur.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(cur.Content); i += 2 {
				path = append(path, cur.Content[i].Value)
				if walk(cur.Content[i+1]) {
					return true
				}
				path = path[:len(path)-1]
			}
		case yaml.SequenceNode:
			for i, it := range cur.Content {
				path = append(path, i)
				if walk(it) {
					return true
				}
				path = path[:len(path)-1]
			}
		}
		return false
	}
	if !walk(root) {
		return nil
	}
	if path == nil {
		path = []any{}
	}
	return path
}

func isContainerField(k any) bool {
	s, _ := k.(string)
	for _, f := range kio.ContainerFields {
		if s == f {
			return true
		}
	}
	return false
}

func containerName(p *Pod, field string, i int) string {
	for _, n := range kio.Containers(p.W.Spec, field) {
		if i == 0 {
			if _, v := kio.Lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
				return v.Value
			}
			return ""
		}
		i--
	}
	return ""
}

// fieldPath writes a path of keys and indexes as KRM results do: spec.template,
// items[2].spec, metadata.annotations[example.com/key] (a key that is not a plain word goes
// in brackets).
func fieldPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if plainKey(k) {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(k)
			} else {
				b.WriteString("[" + k + "]")
			}
		case int:
			b.WriteString("[" + strconv.Itoa(k) + "]")
		}
	}
	return b.String()
}

// appendKey adds key k to a field path.
func appendKey(path, k string) string {
	switch {
	case !plainKey(k):
		return path + "[" + k + "]"
	case path == "":
		return k
	}
	return path + "." + k
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	case strings.HasPrefix(b, "["):
		return a + b
	}
	return a + "." + b
}

// valueJSON writes a value fixers record as compact JSON.
func valueJSON(v kio.Value) string {
	switch x := v.(type) {
	case kio.Bool:
		return strconv.FormatBool(bool(x))
	case kio.Int:
		return strconv.FormatInt(int64(x), 10)
	case kio.Str:
		if plainJSON(string(x)) {
			return `"` + string(x) + `"`
		}
	}
	b, err := json.Marshal(kio.Plain(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// plainJSON reports whether s is written in JSON as it is, between quotes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// nodeJSON writes what a YAML node holds as compact JSON.
func nodeJSON(n *yaml.Node) string {
	v, err := kio.ToValue(n)
	if err != nil {
		return strconv.Quote(kio.Resolve(n).Value)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
