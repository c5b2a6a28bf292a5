package kio

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// start returns the byte offset where n's own text starts, past any anchor or tag that
// yaml.v3 may count as the node's position.
func (d *Document) start(n *yaml.Node) int {
	off := d.Src.Offset(n.Line, n.Column)
	data := d.Src.Data
	for off < len(data) && (data[off] == '&' || data[off] == '!') {
		// An anchor or tag ends at white space or a flow indicator ({a: &x} holds a null);
		// a verbatim tag (!<tag:yaml.org,2002:str>) at its '>'.
		if off+1 < len(data) && data[off] == '!' && data[off+1] == '<' {
			for off < len(data) && data[off] != '>' {
				off++
			}
		}
		for off < len(data) && !isTokenEnd(data[off]) {
			off++
		}
		for off < len(data) && (data[off] == ' ' || data[off] == '\t') {
			off++
		}
	}
	return off
}

// scalarRange returns the byte range of a single-line scalar's text (quotes included).
func (d *Document) scalarRange(n *yaml.Node) (int, int, error) {
	data := d.Src.Data
	s := d.start(n)
	lineEnd := d.Src.LineEnd(d.Src.LineOf(s))
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := s + 1; i < lineEnd; i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return s, i + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := s + 1; i < lineEnd; i++ {
			if data[i] == '\'' {
				if i+1 < lineEnd && data[i+1] == '\'' {
					i++
					continue
				}
				return s, i + 1, nil
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, fmt.Errorf("line %d: block scalar cannot be edited in place", n.Line)
	default:
		flow, key := d.inFlow(n), d.isKey(n)
		e := s
		for i := s; i < lineEnd; i++ {
			c := data[i]
			// '#' cannot start a plain scalar, so at s it opens the comment that follows an
			// empty (null) value.
			if c == '#' && (i == s || data[i-1] == ' ' || data[i-1] == '\t') {
				break
			}
			if flow && (c == ',' || c == ']' || c == '}') {
				break
			}
			if c == ':' && key && (i+1 == lineEnd || data[i+1] == ' ' || data[i+1] == '\t' || flow) {
				break
			}
			if c != ' ' && c != '\t' {
				e = i + 1
			}
		}
		if n.Value != "" && e == s {
			break
		}
		if n.Tag != "!!null" && string(data[s:e]) != n.Value {
			// A plain scalar folded over several lines: its text goes on past this line.
			break
		}
		return s, e, nil
	}
	return 0, 0, fmt.Errorf("line %d: multi-line scalar cannot be edited in place", n.Line)
}

func (d *Document) isKey(n *yaml.Node) bool {
	d.index()
	p := d.parentOf(n)
	if p == nil || p.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(p.Content); i += 2 {
		if p.Content[i] == n {
			return true
		}
	}
	return false
}

// afterColon returns the offset just past the ':' that ends key k.
func (d *Document) afterColon(k *yaml.Node) (int, error) {
	_, e, err := d.scalarRange(k)
	if err != nil {
		return 0, err
	}
	data := d.Src.Data
	for e < len(data) && (data[e] == ' ' || data[e] == '\t') {
		e++
	}
	if e >= len(data) || data[e] != ':' {
		return 0, fmt.Errorf("line %d: cannot find the ':' after key %q", k.Line, k.Value)
	}
	return e + 1, nil
}

// flowEnd returns the offset of the closing bracket of the flow collection n.
//
// It walks from the end of n's last child rather than lexing the brackets: whether a
// quote opens a string depends on the YAML grammar ({a: b"c} holds a plain b"c), and the
// parser has already decided that for every child.
func (d *Document) flowEnd(n *yaml.Node) (int, error) {
	data := d.Src.Data
	s := d.start(n)
	if s >= len(data) || (data[s] != '{' && data[s] != '[') {
		return 0, fmt.Errorf("line %d: expected a flow collection", n.Line)
	}
	closing := byte('}')
	if data[s] == '[' {
		closing = ']'
	}
	from := s + 1
	if len(n.Content) > 0 {
		e, err := d.endOffset(n.Content[len(n.Content)-1])
		if err != nil {
			return 0, err
		}
		from = e
	}
	for i := from; i < len(data); i++ {
		switch c := data[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',':
		case c == '#' && i > 0 && (data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == closing:
			return i, nil
		default:
			return 0, fmt.Errorf("line %d: cannot find the end of the flow collection", n.Line)
		}
	}
	return 0, fmt.Errorf("line %d: unterminated flow collection", n.Line)
}

// endOffset returns the offset just past n's text, for a node inside a flow collection.
func (d *Document) endOffset(n *yaml.Node) (int, error) {
	switch {
	case n.Kind == yaml.AliasNode:
		s := d.start(n)
		e := s + 1
		for e < len(d.Src.Data) && !isFlowStop(d.Src.Data[e]) {
			e++
		}
		return e, nil
	case n.Kind == yaml.ScalarNode:
		_, e, err := d.scalarRange(n)
		return e, err
	case n.Style&yaml.FlowStyle != 0:
		e, err := d.flowEnd(n)
		return e + 1, err
	}
	return 0, fmt.Errorf("line %d: block node inside a flow collection", n.Line)
}

func isTokenEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', '[', ']', '{', '}':
		return true
	}
	return false
}

func isFlowStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ']', '}':
		return true
	}
	return false
}

// dashColumn returns the 0-based column of the "-" that introduces sequence item n, or -1
// when the dash is not on the item's first line ("- &anchor" alone on its line).
func (d *Document) dashColumn(n *yaml.Node) int {
	line := d.Src.Line(n.Line)
	off := d.Src.Offset(n.Line, n.Column) - d.Src.LineStart(n.Line)
	dash := -1
	for j := 0; j < off && j < len(line); {
		switch {
		case line[j] == ' ' || line[j] == '\t':
			j++
		case line[j] == '-' && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t'):
			dash = j
			j++
		case line[j] == '&' || line[j] == '!':
			for j < len(line) && line[j] != ' ' {
				j++
			}
		default:
			return dash
		}
	}
	if dash < 0 {
		return -1
	}
	return d.Src.Column(d.Src.LineStart(n.Line)+dash) - 1
}
