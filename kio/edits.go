package kio

// The edits: how the changes an Editor recorded become byte edits of the file (editor.go
// records them), and how edits are sorted and applied.

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Edit replaces Data[Start:End] with Text. Edits are computed against one parsed version of
// a file and applied together, so no edit ever sees stale positions.
type Edit struct {
	Start, End int
	Text       string
	// Deletes marks an entry deleted with its comments (Editor.DeleteKey): the comments
	// between Start and End go with it, and a verification must not miss them.
	Deletes bool
	// depth orders insertions at the same offset: the deeper node's lines come first, so
	// that keys added to a nested map stay inside it.
	depth int
}

// Edits renders the pending changes as byte edits of the document's file, sorted.
func (e *Editor) Edits() ([]Edit, error) {
	if e.err != nil {
		return nil, e.err
	}
	var edits []Edit
	for _, n := range e.order {
		f := e.fills[n]
		if err := e.aliasedElsewhere(n); err != nil {
			return nil, err
		}
		var es []Edit
		var err error
		switch {
		case f.scalar != nil && IsNull(n):
			es, err = e.fillNull(n, f)
		case f.scalar != nil:
			es, err = e.replaceScalar(n, f.scalar)
		case IsNull(n):
			es, err = e.fillNull(n, f)
		case n.Kind == yaml.AliasNode:
			es, err = e.mergeAlias(n, f.m)
		case n.Kind == yaml.MappingNode && len(f.deleted) > 0:
			es, err = e.deleteKeys(n, f)
		case n.Kind == yaml.MappingNode:
			es, err = e.addKeys(n, f.m)
		case n.Kind == yaml.SequenceNode:
			es, err = e.editSeq(n, f)
		default:
			err = fmt.Errorf("line %d: cannot edit this node", n.Line)
		}
		if err == nil {
			err = e.err
		}
		if err != nil {
			return nil, err
		}
		depth := e.d.Depth(n)
		for i := range es {
			es[i].depth = depth
		}
		edits = append(edits, es...)
	}
	return SortEdits(edits)
}

// SortEdits orders edits for Apply and rejects overlapping ones (a psafix bug, never
// something to paper over).
func SortEdits(edits []Edit) ([]Edit, error) {
	sort.SliceStable(edits, func(i, j int) bool {
		a, b := edits[i], edits[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		// At one offset: insertions before a replacement, deeper insertions first.
		if (a.Start == a.End) != (b.Start == b.End) {
			return a.Start == a.End
		}
		return a.depth > b.depth
	})
	out := edits[:0]
	for i, ed := range edits {
		if i > 0 {
			prev := out[len(out)-1]
			if prev == ed {
				continue
			}
			if ed.Start < prev.End {
				return nil, fmt.Errorf("overlapping edits at offsets %d-%d and %d-%d", prev.Start, prev.End, ed.Start, ed.End)
			}
		}
		out = append(out, ed)
	}
	return out, nil
}

// Apply returns data with the sorted edits applied.
func Apply(data []byte, edits []Edit) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + 256)
	last := 0
	for _, ed := range edits {
		b.Write(data[last:ed.Start])
		b.WriteString(ed.Text)
		last = ed.End
	}
	b.Write(data[last:])
	return b.Bytes()
}

func (e *Editor) replaceScalar(n *yaml.Node, v Value) ([]Edit, error) {
	s, end, err := e.d.scalarRange(n)
	if err != nil {
		return nil, err
	}
	text := renderScalar(v, e.d.JSON)
	if str, ok := v.(Str); ok {
		// Keep the author's quoting.
		switch {
		case n.Style&yaml.DoubleQuotedStyle != 0:
			text = quoteJSON(string(str))
		case n.Style&yaml.SingleQuotedStyle != 0:
			text = "'" + strings.ReplaceAll(string(str), "'", "''") + "'"
		}
	}
	return []Edit{{Start: s, End: end, Text: text}}, nil
}

// mergeAlias turns "key: *a" into a mapping of its own that merges the anchor and adds m:
// "key:" then "<<: *a" and m's keys in block style, or "{<<: *a, k: v}" in a flow collection.
func (e *Editor) mergeAlias(n *yaml.Node, m *Map) ([]Edit, error) {
	k := e.d.keyOf(n)
	if k == nil || m == nil || m.Len() == 0 {
		return nil, fmt.Errorf("line %d: cannot edit this alias", n.Line)
	}
	data := e.d.Src.Data
	s := e.d.start(n)
	if s >= len(data) || data[s] != '*' {
		return nil, fmt.Errorf("line %d: cannot find the alias *%s", n.Line, n.Value)
	}
	end := s + 1
	for end < len(data) && !isFlowStop(data[end]) {
		end++
	}
	ref := string(data[s:end])
	if e.d.inFlow(n) {
		parts := []string{"<<: " + ref}
		for _, key := range m.keys {
			parts = append(parts, renderKey(key, false)+": "+renderFlow(m.vals[key], false))
		}
		return []Edit{{Start: s, End: end, Text: "{" + strings.Join(parts, ", ") + "}"}}, nil
	}
	if n.Line != k.Line {
		return nil, fmt.Errorf("line %d: an alias on a line of its own is not edited", n.Line)
	}
	if rest := data[end:e.d.Src.LineEnd(n.Line)]; !isBlankOrComment(rest) {
		return nil, fmt.Errorf("line %d: text after the alias %s: not edited", n.Line, ref)
	}
	colon, err := e.d.afterColon(k)
	if err != nil {
		return nil, err
	}
	st := e.d.StyleAt(n)
	col := k.Column - 1 + st.Step
	lines := append([]string{strings.Repeat(" ", col) + "<<: " + ref}, renderBlockMap(m, col, st)...)
	return []Edit{{Start: colon, End: end}, e.insertLines(k.Line, lines)}, nil
}

// nullToken returns the range of the "~" / "null" text after a key's colon (empty when the
// value is simply missing).
func (e *Editor) nullToken(colon int) (int, int) {
	data := e.d.Src.Data
	s := colon
	for s < len(data) && (data[s] == ' ' || data[s] == '\t') {
		s++
	}
	for _, tok := range []string{"~", "null", "Null", "NULL"} {
		if bytes.HasPrefix(data[s:], []byte(tok)) {
			end := s + len(tok)
			if end == len(data) || isFlowStop(data[end]) {
				return s, end
			}
		}
	}
	return colon, colon
}

// plainNull reports whether the null value n of key k is written as nothing, "~" or "null"
// (te is where that ends), perhaps with an anchor or a comment: what fillNull can replace. A
// tag ("!!null", "!") or a null on a line of its own would be left in front of the new text.
// anchorEnd is where the anchor ends, if there is one (a scalar goes after it), else 0.
func (e *Editor) plainNull(n, k *yaml.Node, te int) (anchorEnd int, ok bool) {
	if n.Style&yaml.TaggedStyle != 0 || n.Line != k.Line {
		return 0, false
	}
	rest := e.d.Src.Data[te:e.d.Src.LineEnd(k.Line)]
	if i := commentStart(rest); i >= 0 {
		rest = rest[:i]
	}
	lead := len(rest) - len(bytes.TrimLeft(rest, " \t"))
	word := bytes.TrimSpace(rest)
	switch {
	case len(word) == 0:
		return 0, true
	case word[0] == '&' && !bytes.ContainsAny(word, " \t"):
		return te + lead + len(word), true
	}
	return 0, false
}

// fillNull writes a value where a key has none ("securityContext:", "~", "null").
func (e *Editor) fillNull(n *yaml.Node, f *fill) ([]Edit, error) {
	k := e.d.keyOf(n)
	if k != nil && e.d.inFlow(n) {
		return e.fillFlowNull(n, k, f)
	}
	if k == nil {
		return nil, fmt.Errorf("line %d: cannot fill this null value", n.Line)
	}
	colon, err := e.d.afterColon(k)
	if err != nil {
		return nil, err
	}
	ts, te := e.nullToken(colon)
	anchorEnd, ok := e.plainNull(n, k, te)
	if !ok {
		return nil, fmt.Errorf("line %d: cannot fill a null value written with a tag or on its own line", n.Line)
	}
	if f.scalar != nil {
		if anchorEnd > 0 {
			// "key: &a" becomes "key: &a value": the anchor names the new value.
			return []Edit{{Start: anchorEnd, End: anchorEnd, Text: " " + renderScalar(f.scalar, e.d.JSON)}}, nil
		}
		return []Edit{{Start: colon, End: te, Text: " " + renderScalar(f.scalar, e.d.JSON)}}, nil
	}
	st := e.d.StyleAt(n)
	col := k.Column - 1
	var lines []string
	if f.m != nil {
		lines = renderBlockMap(f.m, col+st.Step, st)
	} else {
		lines = renderBlockItems(f.items, col+st.Dash, st)
	}
	var edits []Edit
	if te > ts {
		edits = append(edits, Edit{Start: colon, End: te})
	}
	return append(edits, e.insertLines(e.d.NullTail(k), lines)), nil
}

// fillFlowNull replaces a null written in a flow collection ("securityContext": null in
// JSON) with the new value: JSON in a JSON document, pretty-printed when the collection
// holding it is.
func (e *Editor) fillFlowNull(n, k *yaml.Node, f *fill) ([]Edit, error) {
	s, end, err := e.d.scalarRange(n)
	if err != nil {
		return nil, err
	}
	if s == end || n.Style&yaml.TaggedStyle != 0 || e.d.Src.LineOf(s) != k.Line {
		return nil, fmt.Errorf("line %d: cannot fill a null value that is not written as null or ~ after its key", n.Line)
	}
	var v Value = f.scalar
	switch {
	case v != nil:
	case f.m != nil:
		v = f.m
	default:
		v = f.items
	}
	text := renderFlow(v, e.d.JSON)
	if _, ok := v.(*Map); ok && e.d.JSON && e.multiLine(e.d.parentOf(n)) {
		text = renderJSON(v, k.Column-1, e.jsonStep(n), e.layout(s))
	}
	return []Edit{{Start: s, End: end, Text: text}}, nil
}

// insertLines puts lines after line (before its terminator, so a file without a final
// newline keeps having none).
func (e *Editor) insertLines(line int, lines []string) Edit {
	eol := e.d.Src.EOLOf(line)
	pos := e.d.Src.LineEnd(line)
	if pos == len(e.d.Src.Data) && len(e.d.order) > 0 {
		// At the end of a file without a final newline, the inserted line break would
		// become part of a block scalar that ends there, changing its value.
		if last := e.d.order[len(e.d.order)-1]; last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && e.err == nil {
			e.err = fmt.Errorf("line %d: cannot add after a block scalar that ends the file without a final newline", line)
		}
	}
	return Edit{Start: pos, End: pos, Text: eol + strings.Join(lines, eol)}
}

func (e *Editor) addKeys(n *yaml.Node, m *Map) ([]Edit, error) {
	if m == nil || m.Len() == 0 {
		return nil, nil
	}
	if n.Style&yaml.FlowStyle != 0 || e.d.JSON {
		if len(n.Content) == 0 && !e.d.JSON && !e.d.inFlow(e.d.parentOf(n)) && e.d.keyOf(n) != nil {
			return e.emptyFlowToBlock(n, renderBlockMap)
		}
		if k := e.d.keyOf(n); len(n.Content) == 0 && e.d.JSON && k != nil && e.multiLine(e.d.parentOf(n)) {
			// "key": {} in pretty-printed JSON becomes a pretty-printed object.
			close, err := e.d.flowEnd(n)
			if err != nil {
				return nil, err
			}
			return []Edit{{Start: e.d.start(n), End: close + 1, Text: renderJSON(m, k.Column-1, e.jsonStep(n), e.layout(e.d.start(n)))}}, nil
		}
		parts := append([]string(nil), m.keys...)
		return e.flowInsert(n, len(parts), func(col int, multi bool) []string {
			out := make([]string, 0, m.Len())
			for _, k := range m.keys {
				val := renderFlow(m.vals[k], e.d.JSON)
				if multi && e.d.JSON {
					val = renderJSON(m.vals[k], col, e.jsonStep(n), e.layout(e.d.start(n)))
				}
				out = append(out, renderKey(k, e.d.JSON)+": "+val)
			}
			return out
		})
	}
	if e.explicitKeys(n) {
		return nil, fmt.Errorf("line %d: a mapping with explicit keys (\"? key\") is not edited", n.Content[0].Line)
	}
	st := e.d.StyleAt(n)
	col := n.Content[0].Column - 1
	end := e.d.EndLine(n)
	if err := e.regular(n.Content[0].Line, end, col); err != nil {
		return nil, err
	}
	return []Edit{e.insertLines(end, renderBlockMap(m, col, st))}, nil
}

// explicitKeys reports a block mapping with a key written "? key": such a key does not
// start at the mapping's indentation, so that neither it nor a new key placed by it can be
// trusted to land in the mapping.
func (e *Editor) explicitKeys(n *yaml.Node) bool {
	first := n.Content[0]
	for i := 0; i < len(n.Content); i += 2 {
		if n.Content[i].Column != first.Column {
			return true
		}
	}
	lineStart := e.d.Src.Offset(first.Line, 1)
	return bytes.IndexByte(e.d.Src.Data[lineStart:e.d.start(first)], '?') >= 0
}

// regular checks that no content line of a block collection is indented less than its
// keys or dashes (yaml.v3 accepts some such text; a line added after it would not parse).
func (e *Editor) regular(from, to, col int) error {
	for l := from + 1; l <= to; l++ {
		if line := e.d.Src.Line(l); !isBlankOrComment(line) && indentOf(line) < col {
			return fmt.Errorf("line %d: indented less than the block it belongs to; not edited", l)
		}
	}
	return nil
}

// emptyFlowToBlock turns "key: {}" or "key: []" into a block collection under key.
func (e *Editor) emptyFlowToBlock(n *yaml.Node, render func(*Map, int, Style) []string) ([]Edit, error) {
	k := e.d.keyOf(n)
	colon, err := e.d.afterColon(k)
	if err != nil {
		return nil, err
	}
	close, err := e.d.flowEnd(n)
	if err != nil {
		return nil, err
	}
	if data := e.d.Src.Data; close+1 < len(data) && !isFlowStop(data[close+1]) {
		return nil, fmt.Errorf("line %d: text right after %q; not edited", n.Line, data[e.d.start(n):close+1])
	}
	st := e.d.StyleAt(n)
	f := e.fills[n]
	col := k.Column - 1
	var lines []string
	if n.Kind == yaml.MappingNode {
		lines = render(f.m, col+st.Step, st)
	} else {
		lines = renderBlockItems(f.items, col+st.Dash, st)
	}
	// "key: &a {}" keeps its anchor (and a tag), which now names the block collection.
	props := string(bytes.TrimRight(e.d.Src.Data[colon:e.d.start(n)], " \t"))
	return []Edit{{Start: colon, End: close + 1, Text: props}, e.insertLines(k.Line, lines)}, nil
}

// multiLine reports whether a flow collection puts its entries on lines of their own.
func (e *Editor) multiLine(n *yaml.Node) bool {
	return n != nil && len(n.Content) > 0 && n.Content[0].Line > n.Line
}

// layout returns how lines added at off are written: with the ending of off's line, and
// in a JSON document indented with tabs (jq --tab), with tabs.
func (e *Editor) layout(off int) layout {
	lay := layout{eol: e.d.Src.EOLOf(e.d.Src.LineOf(off))}
	if r := e.d.Root; e.d.JSON && r != nil && len(r.Content) > 0 && r.Content[0].Line > r.Line {
		line := e.d.Src.Line(r.Content[0].Line)
		lay.tabs = len(line) > 0 && line[0] == '\t'
	}
	return lay
}

// jsonStep guesses the indentation step of a JSON document from a nested member.
func (e *Editor) jsonStep(n *yaml.Node) int {
	for p := n; p != nil; p = e.d.parentOf(p) {
		if pp := e.d.parentOf(p); pp != nil && len(p.Content) > 0 && len(pp.Content) > 0 && p.Content[0].Line > p.Line {
			if s := p.Content[0].Column - pp.Content[0].Column; s > 0 && pp.Kind == yaml.MappingNode && p.Kind == yaml.MappingNode {
				return s
			}
		}
	}
	if e.d.Root != nil && len(e.d.Root.Content) > 0 && e.d.Root.Content[0].Line > e.d.Root.Line {
		return e.d.Root.Content[0].Column - e.d.Root.Column
	}
	return 2
}

// flowInsert adds entries (mapping "k: v" strings or sequence items) to a flow collection:
// on one line before the closing bracket, or one per line when the collection is written
// one entry per line (JSON).
func (e *Editor) flowInsert(n *yaml.Node, count int, entries func(col int, multi bool) []string) ([]Edit, error) {
	close, err := e.d.flowEnd(n)
	if err != nil {
		return nil, err
	}
	if count == 0 {
		return nil, nil
	}
	if len(n.Content) == 0 {
		return []Edit{{Start: close, End: close, Text: strings.Join(entries(0, false), ", ")}}, nil
	}
	last := n.Content[len(n.Content)-1]
	lastEnd, err := e.d.endOffset(last)
	if err != nil {
		return nil, err
	}
	first := n.Content[0]
	multi := e.d.Src.LineOf(close) > e.d.Src.LineOf(lastEnd) && first.Line > n.Line
	if !multi {
		return []Edit{{Start: lastEnd, End: lastEnd, Text: ", " + strings.Join(entries(0, false), ", ")}}, nil
	}
	col := first.Column - 1
	ind := e.layout(lastEnd).indent(col)
	text := ind + strings.Join(entries(col, true), ","+ind)
	if comma, lineEnd, ok := e.restOfLine(lastEnd); ok && lineEnd > 0 {
		// A comment after the last entry stays with it: the new entries go on the lines
		// after it, and the comma (if it has none) before the comment.
		edits := []Edit{{Start: lineEnd, End: lineEnd, Text: text}}
		if !comma {
			edits = append(edits, Edit{Start: lastEnd, End: lastEnd, Text: ","})
		}
		return edits, nil
	}
	return []Edit{{Start: lastEnd, End: lastEnd, Text: "," + text}}, nil
}

// restOfLine reads what follows an entry of a multi-line flow collection that ends at off:
// whether a comma follows it, and, when a comment then ends the line, where the line ends
// (else 0). ok is false when anything else follows on the line.
func (e *Editor) restOfLine(off int) (comma bool, commentLineEnd int, ok bool) {
	data := e.d.Src.Data
	end := e.d.Src.LineEnd(e.d.Src.LineOf(off))
	i := off
	for i < end && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i < end && data[i] == ',' {
		comma = true
		i++
		for i < end && (data[i] == ' ' || data[i] == '\t') {
			i++
		}
	}
	switch {
	case i == end:
		return comma, 0, true
	case data[i] == '#' && i > off && (data[i-1] == ' ' || data[i-1] == '\t'):
		return comma, end, true
	}
	return comma, 0, false
}

func (e *Editor) editSeq(n *yaml.Node, f *fill) ([]Edit, error) {
	var edits []Edit
	if len(f.removed) > 0 {
		es, err := e.removeItems(n, f.removed)
		if err != nil {
			return nil, err
		}
		edits = append(edits, es...)
	}
	if len(f.items) == 0 {
		return edits, nil
	}
	if n.Style&yaml.FlowStyle != 0 || e.d.JSON {
		if len(n.Content) == 0 && !e.d.JSON && !e.d.inFlow(e.d.parentOf(n)) && e.d.keyOf(n) != nil {
			return e.emptyFlowToBlock(n, nil)
		}
		es, err := e.flowInsert(n, len(f.items), func(col int, multi bool) []string {
			out := make([]string, 0, len(f.items))
			for _, it := range f.items {
				if multi && e.d.JSON {
					out = append(out, renderJSON(it, col, e.jsonStep(n), e.layout(e.d.start(n))))
				} else {
					out = append(out, renderFlow(it, e.d.JSON))
				}
			}
			return out
		})
		return append(edits, es...), err
	}
	st := e.d.StyleAt(n)
	dash, pad, ok := e.d.seqStyle(n)
	if !ok {
		return nil, fmt.Errorf("line %d: cannot tell how this sequence is indented", n.Line)
	}
	st.Pad = pad
	end := e.d.EndLine(n)
	if err := e.regular(n.Line, end, dash); err != nil {
		return nil, err
	}
	return append(edits, e.insertLines(end, renderBlockItems(f.items, dash, st))), nil
}

// removeItems deletes sequence items. A comment written on a deleted item's line is kept
// on a line of its own, so no comment is ever lost.
func (e *Editor) removeItems(n *yaml.Node, removed map[int]bool) ([]Edit, error) {
	if n.Style&yaml.FlowStyle != 0 && e.flowComments(n) {
		return e.removeFlowLines(n, removed)
	}
	if n.Style&yaml.FlowStyle != 0 {
		var kept []string
		for i, it := range n.Content {
			if removed[i] {
				continue
			}
			s := e.d.start(it)
			end, err := e.d.endOffset(it)
			if err != nil {
				return nil, err
			}
			kept = append(kept, string(e.d.Src.Data[s:end]))
		}
		s := e.d.start(n)
		close, err := e.d.flowEnd(n)
		if err != nil {
			return nil, err
		}
		return []Edit{{Start: s, End: close + 1, Text: "[" + strings.Join(kept, ", ") + "]"}}, nil
	}
	if len(removed) == len(n.Content) {
		// An empty block sequence has no block form: write "key: []".
		k := e.d.keyOf(n)
		if k == nil {
			return nil, fmt.Errorf("line %d: cannot empty this sequence", n.Line)
		}
		colon, err := e.d.afterColon(k)
		if err != nil {
			return nil, err
		}
		edits := []Edit{{Start: colon, End: colon, Text: " []"}}
		for i := range n.Content {
			edits = append(edits, e.deleteItem(n.Content[i]))
		}
		return edits, nil
	}
	var edits []Edit
	for i, it := range n.Content {
		if removed[i] {
			edits = append(edits, e.deleteItem(it))
		}
	}
	return edits, nil
}

// flowComments reports whether a flow collection spans several lines, some with comments.
func (e *Editor) flowComments(n *yaml.Node) bool {
	close, err := e.d.flowEnd(n)
	if err != nil {
		return false
	}
	first, last := e.d.Src.LineOf(e.d.start(n)), e.d.Src.LineOf(close)
	if first == last {
		return false // on one line: rewritten whole, a comment after it kept
	}
	for l := first; l <= last; l++ {
		if commentStart(e.d.Src.Line(l)) >= 0 {
			return true
		}
	}
	return false
}

// removeFlowLines deletes items of a multi-line flow sequence with comments, each written on
// a line of its own: the line goes, and a comment on it stays on a line of its own, so
// every other entry keeps its comment. A trailing comma left before the closing bracket is
// valid YAML. Items sharing a line are refused.
func (e *Editor) removeFlowLines(n *yaml.Node, removed map[int]bool) ([]Edit, error) {
	data := e.d.Src.Data
	var edits []Edit
	for i, it := range n.Content {
		if !removed[i] {
			continue
		}
		s := e.d.start(it)
		end, err := e.d.endOffset(it)
		if err != nil {
			return nil, err
		}
		ln := e.d.Src.LineOf(s)
		lineStart := e.d.Src.LineStart(ln)
		_, _, ok := e.restOfLine(end)
		if !ok || e.d.Src.LineOf(end) != ln || len(bytes.TrimLeft(data[lineStart:s], " \t")) > 0 || ln == 1 {
			return nil, fmt.Errorf("line %d: an item that shares its line in a flow list with comments is not removed", it.Line)
		}
		line := e.d.Src.Line(ln)
		if c := commentStart(line); c >= 0 {
			edits = append(edits, Edit{Start: lineStart, End: e.d.Src.LineEnd(ln), Text: strings.Repeat(" ", indentOf(line)) + string(line[c:])})
		} else {
			edits = append(edits, Edit{Start: e.d.Src.LineEnd(ln - 1), End: e.d.Src.LineEnd(ln)})
		}
	}
	return edits, nil
}

// deleteItem removes an item's lines: from the end of the line before it to the end of its
// last line, so that an insertion after the item (at that end) does not overlap.
func (e *Editor) deleteItem(it *yaml.Node) Edit {
	first, last := e.d.StartLine(it), e.d.EndLine(it)
	start, end := e.d.Src.LineEnd(first-1), e.d.Src.LineEnd(last)
	if first == 1 {
		start = 0
	}
	var keep []string
	for l := first; l <= last; l++ {
		line := e.d.Src.Line(l)
		if i := commentStart(line); i >= 0 {
			keep = append(keep, e.d.Src.EOLOf(first-1)+strings.Repeat(" ", indentOf(line))+string(line[i:]))
		}
	}
	return Edit{Start: start, End: end, Text: strings.Join(keep, "")}
}

// commentStart returns where a line's comment starts, or -1. A '#' inside a quoted scalar
// is not a comment; a quote opens a quoted scalar only where a scalar can start (the start of
// the line, or after "- ", ": ", "? ", "[", "{", ",", a tag or an anchor, and right after the
// ':' of a quoted key, as in JSON): elsewhere, as in `it's` or `[0"]`, it is a character of a
// plain scalar. The line is read on its own: a quoted
// scalar continued from the line before is not seen, the same way in a file before and after
// an edit.
func commentStart(line []byte) int {
	var quote byte
	canStart := true // a scalar may start here
	inProps := false // in a tag or an anchor, after which a scalar may still start
	closed := false  // the character before ended a quoted scalar
	for i := 0; i < len(line); i++ {
		c := line[i]
		if quote != 0 {
			switch {
			case quote == '"' && c == '\\':
				i++ // an escaped character, perhaps a quote
			case c == quote && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
				i++ // '' is a quote inside a single-quoted scalar
			case c == quote:
				quote, closed = 0, true
			}
			continue
		}
		blankAfter := i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t'
		afterQuoted := closed
		closed = false
		switch {
		case c == ' ' || c == '\t':
			inProps = false
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		case inProps:
		case (c == '"' || c == '\'') && canStart:
			quote, canStart = c, false
		case c == '[' || c == '{' || c == ',':
			canStart = true
		case (c == '-' || c == '?' || c == ':') && blankAfter, c == ':' && afterQuoted:
			canStart = true
		case (c == '!' || c == '&') && canStart:
			inProps = true
		default:
			canStart = false
		}
	}
	return -1
}

// deleteKeys deletes the keys f.deleted of mapping n with their values, and adds f.m's keys.
// The comments on the entry's lines stay on lines of their own; a comment above it stays
// where it is. In block style the lines of the entry go, and a mapping left without keys is
// written "key: {}". A flow mapping on one line is written again with the entries kept (and those
// added); in one written over several lines (pretty-printed JSON) the lines of each deleted
// entry go, with the comma of the entry that becomes the last, and keys added at the same
// time take the place of the first deleted entry.
func (e *Editor) deleteKeys(n *yaml.Node, f *fill) ([]Edit, error) {
	data, src := e.d.Src.Data, e.d.Src
	pairs := len(n.Content) / 2
	del := make([]bool, pairs)
	ndel := 0
	for j := range pairs {
		if k := n.Content[2*j]; k.ShortTag() != "!!merge" && slices.Contains(f.deleted, k.Value) {
			del[j] = true
			ndel++
		}
	}
	adding := f.m != nil && f.m.Len() > 0
	if ndel == 0 {
		return e.addKeys(n, f.m)
	}
	// ownLines deletes the lines from k's to off's, when k starts its line: from the line
	// break before them to the end of the last, so that lines added after the entry (at the
	// end of its last line) may follow. Their comments stay, on lines of their own at the
	// key's indentation, as removeItems keeps an item's: no comment is ever lost.
	ownLines := func(k *yaml.Node, off int) (Edit, bool) {
		first, last := src.LineOf(e.d.start(k)), src.LineOf(off)
		if first <= e.d.Seg.Line || len(bytes.TrimLeft(data[src.LineStart(first):e.d.start(k)], " \t")) > 0 {
			return Edit{}, false // the document's first line: no line break of its own before it
		}
		var keep strings.Builder
		for l := first; l <= last; l++ {
			if i := commentStart(src.Line(l)); i >= 0 {
				keep.WriteString(src.EOLOf(first-1) + string(data[src.LineStart(first):e.d.start(k)]) + string(src.Line(l)[i:]))
			}
		}
		return Edit{Start: src.LineEnd(first - 1), End: src.LineEnd(last), Text: keep.String(), Deletes: true}, true
	}
	if n.Style&yaml.FlowStyle == 0 && !e.d.JSON {
		if e.explicitKeys(n) {
			return nil, fmt.Errorf("line %d: a mapping with explicit keys (\"? key\") is not edited", n.Content[0].Line)
		}
		var edits []Edit
		for j := range pairs {
			if !del[j] {
				continue
			}
			k, v := n.Content[2*j], n.Content[2*j+1]
			ed, ok := ownLines(k, src.LineEnd(max(e.d.EndLine(v), k.Line)))
			if !ok {
				return nil, fmt.Errorf("line %d: key %q shares its line: not deleted", k.Line, k.Value)
			}
			edits = append(edits, ed)
		}
		if ndel == pairs && !adding {
			// A block mapping has no empty form: write "key: {}".
			k := e.d.keyOf(n)
			if k == nil {
				return nil, fmt.Errorf("line %d: cannot empty this mapping", n.Line)
			}
			colon, err := e.d.afterColon(k)
			if err != nil {
				return nil, err
			}
			edits = append(edits, Edit{Start: colon, End: colon, Text: " {}"})
		}
		add, err := e.addKeys(n, f.m)
		return append(edits, add...), err
	}
	open := e.d.start(n)
	close, err := e.d.flowEnd(n)
	if err != nil {
		return nil, err
	}
	ends := make([]int, pairs)
	for j := range pairs {
		if ends[j], err = e.d.endOffset(n.Content[2*j+1]); err != nil {
			return nil, err
		}
	}
	newEntries := func(col int, multi bool) []string {
		var out []string
		for _, key := range f.m.keys {
			val := renderFlow(f.m.vals[key], e.d.JSON)
			if multi && e.d.JSON {
				val = renderJSON(f.m.vals[key], col, e.jsonStep(n), e.layout(open))
			}
			out = append(out, renderKey(key, e.d.JSON)+": "+val)
		}
		return out
	}
	if src.LineOf(open) == src.LineOf(close) {
		var parts []string
		for j := range pairs {
			if !del[j] {
				parts = append(parts, string(data[e.d.start(n.Content[2*j]):ends[j]]))
			}
		}
		if adding {
			parts = append(parts, newEntries(0, false)...)
		}
		return []Edit{{Start: open, End: close + 1, Text: "{" + strings.Join(parts, ", ") + "}"}}, nil
	}
	var edits []Edit
	lastKept := -1
	replaced := false
	for j := range pairs {
		k := n.Content[2*j]
		switch {
		case !del[j]:
			lastKept = j
		case adding && !replaced:
			// The added keys take this entry's place, and its comma.
			replaced, lastKept = true, j
			col := k.Column - 1
			edits = append(edits, Edit{Start: e.d.start(k), End: ends[j], Text: strings.Join(newEntries(col, true), ","+e.layout(open).indent(col)), Deletes: true})
		default:
			_, _, ok := e.restOfLine(ends[j])
			ed, own := ownLines(k, src.LineEnd(src.LineOf(ends[j])))
			if !ok || !own || src.LineOf(e.d.start(k)) == src.LineOf(open) || src.LineOf(ends[j]) == src.LineOf(close) {
				return nil, fmt.Errorf("line %d: an entry that shares its line in a flow mapping is not deleted", k.Line)
			}
			edits = append(edits, ed)
		}
	}
	if lastKept >= 0 && lastKept < pairs-1 {
		// The entry now last loses its comma (JSON has none after its last member).
		i := ends[lastKept]
		for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
			i++
		}
		if i < len(data) && data[i] == ',' {
			edits = append(edits, Edit{Start: i, End: i + 1})
		}
	}
	return edits, nil
}
