package kio

// Explain: trailing comments that say what an edit assumed, on the lines the edit wrote.

import (
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ExplainPrefix starts every comment Explain writes.
const ExplainPrefix = "# psafix: "

// A LineNote asks for a trailing comment on the line of the fixed document that holds a
// field: Field is its path from the document's root as fixers.Change writes it
// (spec.template.spec.containers[0].securityContext.runAsUser, items[2].spec,
// metadata.annotations[example.com/key]).
type LineNote struct {
	Field string
	Text  string
}

// Explain returns the edits of document doc of src (sorted, as Editor.Edits returns them)
// with a trailing comment "# psafix: TEXT" added for each note, at the end of the line of
// the fixed document that holds the note's field. A comment goes only on a line the edits
// insert or change, that has no comment of its own, and that ends with the field's value
// (in a flow collection, followed at most by closing brackets): otherwise the note is
// skipped. Notes on one line are joined with "; ". The comment goes before the line's
// ending, so the file keeps its line endings. skipped counts the notes left out.
func Explain(src *Source, doc int, edits []Edit, notes []LineNote) (out []Edit, skipped int) {
	if len(notes) == 0 || len(edits) == 0 {
		return edits, 0
	}
	fixed := NewSource(Apply(src.Data, edits))
	segs, osegs := Split(fixed.Data), Split(src.Data)
	if len(segs) != len(osegs) || doc >= len(segs) {
		return edits, len(notes)
	}
	d, err := ParseDocument(fixed, segs[doc], doc)
	if err != nil || d.Root == nil || d.JSON {
		return edits, len(notes)
	}
	// Where each edit's text lands in the fixed file.
	outStart := make([]int, len(edits))
	shift := 0
	for i, ed := range edits {
		outStart[i] = ed.Start + shift
		shift += len(ed.Text) - (ed.End - ed.Start)
	}
	changed := func(ls, le int) bool {
		for i, ed := range edits {
			if ed.Text != "" && outStart[i] < le && outStart[i]+len(ed.Text) > ls {
				return true
			}
		}
		return false
	}

	type lineNote struct {
		end   int // offset in the fixed file where the comment goes
		texts []string
	}
	var lines []*lineNote
	byLine := map[int]*lineNote{}
	for _, n := range notes {
		end, ok := d.noteEnd(n.Field, changed)
		if !ok {
			skipped++
			continue
		}
		text := strings.Join(strings.Fields(n.Text), " ")
		ln := fixed.LineOf(end)
		l := byLine[ln]
		if l == nil {
			l = &lineNote{end: end}
			byLine[ln] = l
			lines = append(lines, l)
		}
		if !contains(l.texts, text) {
			l.texts = append(l.texts, text)
		}
	}
	if len(lines) == 0 {
		return edits, skipped
	}
	// Every place is in the coordinates of the fixed file before any comment: each goes
	// into the text of the edit that writes it, or in a new insertion at the same place of
	// the original.
	type insert struct {
		at   int
		text string
	}
	into := map[int][]insert{}
	var extra []Edit
	for _, l := range lines {
		comment := " " + ExplainPrefix + strings.Join(l.texts, "; ")
		placed := false
		for i, ed := range edits {
			if s := outStart[i]; ed.Text != "" && s <= l.end && l.end <= s+len(ed.Text) {
				into[i] = append(into[i], insert{l.end - s, comment})
				placed = true
				break
			}
		}
		if placed {
			continue
		}
		delta := 0
		for i, ed := range edits {
			if outStart[i] >= l.end {
				break
			}
			delta = outStart[i] + len(ed.Text) - ed.End
		}
		at := l.end - delta
		extra = append(extra, Edit{Start: at, End: at, Text: comment})
	}
	out = append([]Edit(nil), edits...)
	for i, ins := range into {
		sort.Slice(ins, func(a, b int) bool { return ins[a].at > ins[b].at })
		t := out[i].Text
		for _, in := range ins {
			t = t[:in.at] + in.text + t[in.at:]
		}
		out[i].Text = t
	}
	out, err = SortEdits(append(out, extra...))
	if err != nil {
		return edits, len(notes)
	}
	return out, skipped
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// noteEnd finds where a comment about field goes in the fixed document d: the end of the
// line of its value, when that line is changed, has no comment, and ends with the value.
func (d *Document) noteEnd(field string, changed func(ls, le int) bool) (int, bool) {
	path, err := ParseField(field)
	if err != nil {
		return 0, false
	}
	n := d.Root
	for _, p := range path {
		n = Resolve(n)
		switch k := p.(type) {
		case string:
			_, n = Lookup(n, k)
		case int:
			if n == nil || n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return 0, false
			}
			n = n.Content[k]
		}
		if n == nil {
			return 0, false
		}
	}
	// A block mapping or sequence item: its first line, down to the value that ends it.
	for n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) >= 2 && n.Content[1].Line == n.Content[0].Line {
		n = n.Content[1]
	}
	if n.Kind != yaml.ScalarNode && n.Kind != yaml.AliasNode && n.Style&yaml.FlowStyle == 0 {
		return 0, false
	}
	var end int
	if n.Kind == yaml.ScalarNode {
		s, e, err := d.scalarRange(n)
		if err != nil || d.Src.LineOf(s) != d.Src.LineOf(e) {
			return 0, false
		}
		end = e
	} else {
		// A flow collection or an alias: it must close on its line.
		end = d.start(n)
	}
	ln := d.Src.LineOf(end)
	ls, le := d.Src.LineStart(ln), d.Src.LineEnd(ln)
	if commentStart(d.Src.Data[ls:le]) >= 0 || !changed(ls, le) {
		return 0, false
	}
	rest := d.Src.Data[end:le]
	if n.Kind != yaml.ScalarNode {
		j := flowEnd(rest)
		if j < 0 {
			return 0, false
		}
		rest = rest[j:]
	}
	for _, c := range rest {
		if c != ' ' && c != '\t' && c != ']' && c != '}' {
			return 0, false
		}
	}
	// The comment goes after the line's text, trailing blanks included.
	return le, true
}

// flowEnd returns where the flow collection or alias that b starts with ends on its line,
// or -1 when it goes on past the line.
func flowEnd(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	if b[0] != '[' && b[0] != '{' {
		j := 0
		for j < len(b) && !isFlowStop(b[j]) {
			j++
		}
		return j
	}
	depth := 0
	for i, c := range b {
		switch c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// WithoutNewExplain drops from the comments after a fix the "# psafix: ..." comments --explain
// added: those of after that before has not (nil when none is left). The verification and
// the golden tests compare comments with it.
func WithoutNewExplain(before, after []string) []string {
	have := map[string]int{}
	for _, c := range before {
		have[c]++
	}
	var out []string
	for _, c := range after {
		if strings.HasPrefix(c, ExplainPrefix) {
			if have[c] == 0 {
				continue
			}
			have[c]--
		}
		out = append(out, c)
	}
	return out
}
