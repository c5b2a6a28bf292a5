package kio

import (
	"encoding/json"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Value is what the editor writes: Bool, Int, Str, *Map or List. The types exist so that a
// boolean can never be written as the string "true" by accident.
type Value interface{ isValue() }

// Bool is a YAML boolean.
type Bool bool

// Int is a YAML integer.
type Int int64

// Str is a YAML string; it is quoted when a plain scalar would read as something else.
type Str string

// List is a YAML sequence.
type List []Value

// Map is a YAML mapping that keeps the order its keys were set in.
type Map struct {
	keys []string
	vals map[string]Value
}

func (Bool) isValue() {}
func (Int) isValue()  {}
func (Str) isValue()  {}
func (List) isValue() {}
func (*Map) isValue() {}

// Plain is v as YAML and JSON decode into Go: bool, int64, string, []any and
// map[string]any.
func Plain(v Value) any {
	switch x := v.(type) {
	case Bool:
		return bool(x)
	case Int:
		return int64(x)
	case Str:
		return string(x)
	case List:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = Plain(it)
		}
		return out
	case *Map:
		out := map[string]any{}
		for _, k := range x.Keys() {
			it, _ := x.Get(k)
			out[k] = Plain(it)
		}
		return out
	}
	return nil
}

// M builds a Map from key, value pairs.
func M(kv ...any) *Map {
	m := &Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Set(kv[i].(string), kv[i+1].(Value))
	}
	return m
}

// Set adds or replaces key.
func (m *Map) Set(key string, v Value) {
	if m.vals == nil {
		m.vals = map[string]Value{}
	}
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
}

// Get returns the value of key.
func (m *Map) Get(key string) (Value, bool) {
	v, ok := m.vals[key]
	return v, ok
}

// Keys returns the keys in order.
func (m *Map) Keys() []string { return m.keys }

// Len is the number of keys.
func (m *Map) Len() int { return len(m.keys) }

// setPath sets v at path below m, creating maps on the way, and appends list items to a
// list already pending there.
func (m *Map) setPath(path []string, v Value, appendItem bool) {
	for _, k := range path[:len(path)-1] {
		sub, ok := m.vals[k].(*Map)
		if !ok {
			sub = &Map{}
			m.Set(k, sub)
		}
		m = sub
	}
	last := path[len(path)-1]
	if appendItem {
		l, _ := m.vals[last].(List)
		for _, have := range l {
			if equalValue(have, v) {
				return
			}
		}
		m.Set(last, append(l, v))
		return
	}
	m.Set(last, v)
}

func equalValue(a, b Value) bool {
	return renderFlow(a, false) == renderFlow(b, false)
}

// plainSafe reports whether s can be written as a plain scalar and read back as the same
// string by YAML 1.1 and 1.2 readers alike.
func plainSafe(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	if simpleWord(s) {
		// Keys and values psafix writes are mostly like this: no need to ask the parser.
		return true
	}
	if strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n\t") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "?") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	if strings.HasPrefix(s, "0") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "+") {
		return false
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(s), &node); err != nil || len(node.Content) != 1 || node.Content[0].Tag != "!!str" {
		return false
	}
	return true
}

// simpleWord reports whether s is a letter followed by letters, digits, '_', '.', '/' or
// '-', and not a word YAML 1.1 reads as a boolean or null.
func simpleWord(s string) bool {
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	return true
}

func renderScalar(v Value, json bool) string {
	switch x := v.(type) {
	case Bool:
		return strconv.FormatBool(bool(x))
	case Int:
		return strconv.FormatInt(int64(x), 10)
	case Str:
		if !json && plainSafe(string(x)) {
			return string(x)
		}
		return quoteJSON(string(x))
	}
	panic("kio: not a scalar")
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func renderKey(k string, json bool) string {
	if json {
		return quoteJSON(k)
	}
	return renderScalar(Str(k), false)
}

// renderFlow writes v on one line in flow style ("{type: RuntimeDefault}", "[ALL]"), as
// JSON when json is set.
func renderFlow(v Value, json bool) string {
	switch x := v.(type) {
	case *Map:
		parts := make([]string, 0, x.Len())
		for _, k := range x.keys {
			parts = append(parts, renderKey(k, json)+": "+renderFlow(x.vals[k], json))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case List:
		parts := make([]string, 0, len(x))
		for _, it := range x {
			parts = append(parts, renderFlow(it, json))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return renderScalar(v, json)
}

// Style is how a document indents: taken from the lines around an edit so that new lines
// look like their neighbours.
type Style struct {
	// Step is the indentation of a nested mapping relative to its key.
	Step int
	// Dash is the indentation of a sequence's "-" relative to its key (0: compact).
	Dash int
	// Pad is the distance from "-" to the item's content ("- x": 2, "-   x": 4).
	Pad int
}

// renderBlockEntry writes "key: value" in block style at column col (0-based), one string
// per line without line endings.
func renderBlockEntry(k string, v Value, col int, st Style) []string {
	ind := strings.Repeat(" ", col)
	key := ind + renderKey(k, false) + ":"
	switch x := v.(type) {
	case *Map:
		if x.Len() == 0 {
			return []string{key + " {}"}
		}
		return append([]string{key}, renderBlockMap(x, col+st.Step, st)...)
	case List:
		if len(x) == 0 {
			return []string{key + " []"}
		}
		return append([]string{key}, renderBlockItems(x, col+st.Dash, st)...)
	}
	return []string{key + " " + renderScalar(v, false)}
}

func renderBlockMap(m *Map, col int, st Style) []string {
	var out []string
	for _, k := range m.keys {
		out = append(out, renderBlockEntry(k, m.vals[k], col, st)...)
	}
	return out
}

// renderBlockItems writes sequence items with their dash at column col.
func renderBlockItems(items List, col int, st Style) []string {
	var out []string
	dash := strings.Repeat(" ", col) + "-" + strings.Repeat(" ", st.Pad-1)
	for _, it := range items {
		var lines []string
		switch x := it.(type) {
		case *Map:
			if x.Len() == 0 {
				lines = []string{"{}"}
				break
			}
			lines = renderBlockMap(x, col+st.Pad, st)
		case List:
			lines = []string{renderFlow(x, false)}
		default:
			lines = []string{renderScalar(x, false)}
		}
		// The first line shares the dash's line: drop the indentation it was rendered with.
		lines[0] = dash + strings.TrimLeft(lines[0], " ")
		out = append(out, lines...)
	}
	return out
}

// layout is how new lines of a JSON document are written: their line ending, and whether
// they are indented with tabs (jq --tab) rather than spaces. Columns count either.
type layout struct {
	eol  string
	tabs bool
}

func (l layout) indent(col int) string {
	if l.tabs {
		return l.eol + strings.Repeat("\t", col)
	}
	return l.eol + strings.Repeat(" ", col)
}

// renderJSON writes v as multi-line JSON whose nested lines start at column col, with
// nested levels step further in; short lists of scalars stay on one line.
func renderJSON(v Value, col, step int, lay layout) string {
	switch x := v.(type) {
	case *Map:
		if x.Len() == 0 {
			return "{}"
		}
		var b strings.Builder
		b.WriteString("{")
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(lay.indent(col+step) + quoteJSON(k) + ": " + renderJSON(x.vals[k], col+step, step, lay))
		}
		b.WriteString(lay.indent(col) + "}")
		return b.String()
	case List:
		simple := true
		for _, it := range x {
			if _, ok := it.(*Map); ok {
				simple = false
			}
		}
		if simple {
			return renderFlow(x, true)
		}
		var b strings.Builder
		b.WriteString("[")
		for i, it := range x {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(lay.indent(col+step) + renderJSON(it, col+step, step, lay))
		}
		b.WriteString(lay.indent(col) + "]")
		return b.String()
	}
	return renderScalar(v, true)
}
