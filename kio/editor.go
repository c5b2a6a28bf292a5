package kio

// The editor: the changes fixers record on a document, merged per node (edits.go turns them
// into byte edits).

import (
	"fmt"
	"slices"
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Editor collects semantic changes to one document ("set this key to that value", "append
// this item") and turns them into byte edits that touch nothing else. Changes are merged
// per node, so two fixers adding keys to the same missing securityContext produce one block.
type Editor struct {
	d     *Document
	fills map[*yaml.Node]*fill
	order []*yaml.Node
	err   error
	// changes counts recorded changes, so a caller can tell whether a fixer did anything.
	changes int
}

// fill is what is pending for one existing node.
type fill struct {
	m       *Map         // keys to add to a mapping, or to write into a null value
	items   List         // items to append to a sequence, or to write into a null value
	scalar  Value        // a new value for a scalar
	removed map[int]bool // sequence items to delete
	deleted []string     // mapping keys to delete, with their values
}

// NewEditor starts an empty set of changes to d.
func NewEditor(d *Document) *Editor {
	d.index()
	return &Editor{d: d, fills: map[*yaml.Node]*fill{}}
}

// Doc returns the document being edited.
func (e *Editor) Doc() *Document { return e.d }

// Empty reports whether no change is pending.
func (e *Editor) Empty() bool { return len(e.order) == 0 && e.err == nil }

// Err returns the first error met while recording changes.
func (e *Editor) Err() error { return e.err }

// Changes returns how many changes have been recorded so far.
func (e *Editor) Changes() int { return e.changes }

func (e *Editor) fillFor(n *yaml.Node) *fill {
	e.changes++
	f := e.fills[n]
	if f == nil {
		f = &fill{}
		e.fills[n] = f
		e.order = append(e.order, n)
	}
	return f
}

func (e *Editor) fail(n *yaml.Node, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
	}
}

// Set makes the value at path below mapping m equal v, creating the mappings on the way.
// An existing scalar is replaced in place (its comment stays); an existing mapping gets the
// keys of a *Map value merged into it.
func (e *Editor) Set(m *yaml.Node, path []string, v Value) { e.put(m, path, v, false) }

// Append adds item to the sequence at path below m (creating it), unless an equal item is
// already pending.
func (e *Editor) Append(m *yaml.Node, path []string, item Value) { e.put(m, path, item, true) }

// AppendItem adds item to the existing sequence s, unless it holds an equal item already.
func (e *Editor) AppendItem(s *yaml.Node, item Value) {
	s = Resolve(s)
	switch {
	case IsNull(s):
		f := e.fillFor(s)
		f.items = appendNew(f.items, item)
	case s.Kind == yaml.SequenceNode:
		if !hasItem(s, item) {
			f := e.fillFor(s)
			f.items = appendNew(f.items, item)
		}
	default:
		e.fail(s, "expected a sequence")
	}
}

// Remove deletes item i of sequence s.
func (e *Editor) Remove(s *yaml.Node, i int) {
	s = Resolve(s)
	f := e.fillFor(s)
	if f.removed == nil {
		f.removed = map[int]bool{}
	}
	f.removed[i] = true
}

// DeleteKey deletes key (with its value) from mapping m: the lines of a block entry (their
// comments stay, on lines of their own). Nothing is recorded when m has no such key of its
// own.
func (e *Editor) DeleteKey(m *yaml.Node, key string) {
	m = Resolve(m)
	if k, _ := Lookup(m, key); k == nil {
		return
	}
	f := e.fillFor(m)
	if !slices.Contains(f.deleted, key) {
		f.deleted = append(f.deleted, key)
	}
}

func (e *Editor) put(m *yaml.Node, path []string, v Value, appendItem bool) {
	cur := Resolve(m)
	for i, key := range path {
		if IsNull(cur) {
			f := e.fillFor(cur)
			if f.m == nil {
				f.m = &Map{}
			}
			f.m.setPath(path[i:], v, appendItem)
			return
		}
		if cur.Kind != yaml.MappingNode {
			e.fail(cur, "expected a mapping for %q", key)
			return
		}
		k, val := Lookup(cur, key)
		if val == nil {
			f := e.fillFor(cur)
			if f.m == nil {
				f.m = &Map{}
			}
			f.m.setPath(path[i:], v, appendItem)
			return
		}
		if i < len(path)-1 {
			if a := e.d.valueOf(cur, k); a != nil && a.Kind == yaml.AliasNode && e.d.otherLevel(a, a.Alias) {
				e.putMerged(a, path[i+1:], v, appendItem)
				return
			}
			cur = val
			continue
		}
		switch {
		case appendItem:
			e.AppendItem(val, v)
		case val.Kind == yaml.ScalarNode && !IsNull(val):
			if !ScalarIs(val, v) {
				e.fillFor(val).scalar = v
			}
		case IsNull(val):
			if mv, ok := v.(*Map); ok {
				f := e.fillFor(val)
				if f.m == nil {
					f.m = &Map{}
				}
				for _, k := range mv.keys {
					f.m.setPath([]string{k}, mv.vals[k], false)
				}
			} else {
				e.fillFor(val).scalar = v
			}
		case val.Kind == yaml.MappingNode:
			mv, ok := v.(*Map)
			if !ok {
				e.fail(val, "cannot replace the mapping %q with a scalar", key)
				return
			}
			for _, k := range mv.keys {
				e.put(val, []string{k}, mv.vals[k], false)
			}
		default:
			e.fail(val, "cannot set %q", key)
		}
		return
	}
}

// putMerged records a change below an alias of an anchor that stands at another level
// ("securityContext: *ids" in a container, "&ids" on the pod): the anchor must not get a
// field that is invalid at one of its uses, so the alias becomes a mapping of its own that
// merges the anchor and adds the new keys ("<<: *ids" then "allowPrivilegeEscalation:
// false"). A key the anchor has already cannot be changed for one use only: refused.
func (e *Editor) putMerged(a *yaml.Node, path []string, v Value, appendItem bool) {
	target := Resolve(a)
	if target.Kind != yaml.MappingNode && !IsNull(target) {
		e.fail(a, "expected a mapping for %q", path[0])
		return
	}
	if _, have := Lookup(target, path[0]); have != nil {
		if len(path) == 1 && !appendItem && ScalarIs(have, v) {
			return
		}
		e.fail(a, "the anchor &%s (line %d) is shared with another level and already sets %q: not changed for one of its uses", a.Alias.Anchor, a.Alias.Line, path[0])
		return
	}
	f := e.fillFor(a)
	if f.m == nil {
		f.m = &Map{}
	}
	f.m.setPath(path, v, appendItem)
}

func appendNew(l List, v Value) List {
	for _, have := range l {
		if equalValue(have, v) {
			return l
		}
	}
	return append(l, v)
}

func hasItem(s *yaml.Node, v Value) bool {
	for _, it := range s.Content {
		if ScalarIs(Resolve(it), v) {
			return true
		}
	}
	return false
}

// ScalarIs reports whether node n holds the scalar v, reading booleans the way the
// Kubernetes API server does (YAML 1.1: "yes", "on" are true).
func ScalarIs(n *yaml.Node, v Value) bool {
	if n == nil || n.Kind != yaml.ScalarNode {
		return false
	}
	switch x := v.(type) {
	case Bool:
		b, ok := ParseBool(n)
		return ok && b == bool(x)
	case Int:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		return err == nil && i == int64(x) && n.Tag == "!!int"
	case Str:
		return n.Value == string(x) && (n.Tag == "!!str" || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0)
	}
	return false
}

// ParseBool reads a boolean scalar with YAML 1.1 rules, as the API server's decoder does.
func ParseBool(n *yaml.Node) (bool, bool) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || (n.Tag != "!!bool" && n.Tag != "!!str") {
		return false, false
	}
	switch n.Value {
	case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
		return true, true
	case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
		return false, true
	}
	return false, false
}

// Anchored lists the anchors ("&sc at line 22") whose content the pending changes edit:
// every alias of such a node gets the change too, which the user is told.
func (e *Editor) Anchored() []string {
	seen := map[*yaml.Node]bool{}
	var out []string
	for _, n := range e.order {
		for a := n; a != nil; a = e.d.parentOf(a) {
			if a.Anchor != "" && !seen[a] {
				seen[a] = true
				out = append(out, fmt.Sprintf("&%s at line %d", a.Anchor, a.Line))
			}
		}
	}
	return out
}

// aliasedElsewhere refuses to change an anchored node that an alias uses for another key:
// "runAsNonRoot: &no false" aliased by "privileged: *no" would make the container privileged
// when runAsNonRoot becomes true, and "x: &sc" aliased by "securityContext: *sc" would fill
// x. An alias under the same key, or an anchored list item used (or merged) as another item,
// gets the same fix, which is what its author meant by sharing the value.
func (e *Editor) aliasedElsewhere(n *yaml.Node) error {
	for p := n; p != nil; p = e.d.parentOf(p) {
		if p.Anchor == "" || !e.d.inItem(p) {
			continue
		}
		// An anchor in a list item (a container's securityContext) used by an alias at
		// another level (the pod's): what the item gets may be invalid there.
		for _, a := range e.d.order {
			if a.Kind == yaml.AliasNode && a.Alias == p && e.d.otherLevel(a, p) {
				return fmt.Errorf("line %d: the anchor &%s is also the %s at line %d, at another level (a field valid in one may be invalid in the other): not edited", p.Line, p.Anchor, e.d.keyOf(a).Value, a.Line)
			}
		}
	}
	if n.Anchor == "" {
		return nil
	}
	k := e.d.keyOf(n)
	for _, a := range e.d.order {
		if a.Kind != yaml.AliasNode || a.Alias != n {
			continue
		}
		ak, holder := e.d.keyOf(a), e.d.parentOf(a)
		if p := holder; ak == nil && p != nil && p.Kind == yaml.SequenceNode {
			// "<<: [*a, *b]": the alias is an item of the merge key's list.
			if pk := e.d.keyOf(p); pk != nil && pk.Tag == "!!merge" {
				ak, holder = pk, e.d.parentOf(p)
			}
		}
		if ak != nil && ak.Tag == "!!merge" {
			// "<<: *defaults" merges the anchored mapping into the mapping holding it: that
			// mapping's place is the alias's role.
			ak = e.d.keyOf(holder)
		}
		if (k == nil) != (ak == nil) || (k != nil && ak.Value != k.Value) {
			where := "an item"
			if ak != nil {
				where = ak.Value
			}
			return fmt.Errorf("line %d: the anchor &%s is also the value of %s at line %d: not edited", n.Line, n.Anchor, where, a.Line)
		}
	}
	return nil
}
