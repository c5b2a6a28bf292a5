package kio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Document is one parsed YAML document of a file, with an index over its nodes that the
// editor needs: parents, the key of each value, and document order (yaml.v3 nodes carry
// only their start position, so the end of a node is found from what follows it).
type Document struct {
	Src *Source
	Seg Segment
	// Index is the 0-based position of the document in its file, counting every segment.
	Index int
	// Root is the document's content node; nil for an empty or comment-only document.
	Root *yaml.Node
	// JSON is true when the document is written as JSON (its root is a flow mapping): new
	// content is then written as JSON too.
	JSON bool
	// HeadComment and FootComment are the comments yaml.v3 gives the document rather than
	// Root (a comment block above the first key that a blank line separates from it, one
	// after the last entry): a caller that hands Root on as a node of its own (a KRM item)
	// moves them onto it.
	HeadComment, FootComment string

	// The index: one map from node to its place in document order, and per place the
	// rest. One pre-sized map, not one per relation, as building it is a large part of
	// editing a document.
	order  []*yaml.Node         // pre-order, aliases not followed
	pos    map[*yaml.Node]int32 // index in order
	facts  []nodeFacts          // by index in order
	lastLn int                  // last line of the segment
}

// ParseError is a document that is not valid YAML, located in its file (Line).
type ParseError = Error

var yamlErrLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserErr are yaml.v3's parser errors (not its scanner's): it reports their line counting
// from 0 (the collection or key being parsed, or where the parser stopped), one line early.
var parserErr = regexp.MustCompile(`^did not find expected (key|node content|'-' indicator|',' or '[\]}]'|<document start>)$`)

// ParseDocument parses one segment of src. Positions in the returned nodes are those of the
// whole file.
func ParseDocument(src *Source, seg Segment, index int) (*Document, error) {
	d := &Document{Src: src, Seg: seg, Index: index}
	text := src.Data[seg.Start:seg.End]
	d.lastLn = seg.Line
	if seg.End > seg.Start {
		d.lastLn = src.LineOf(seg.End - 1)
	}
	if onlyDirectivesOrComments(text) {
		return d, nil
	}
	if line, what := oddLineBreak(src, seg); line > 0 {
		// The parser would start a new line where psafix's line index does not: positions
		// would disagree, so such a document is not edited.
		return nil, &ParseError{Line: line, Msg: what + ", which YAML readers take for a line break: not edited"}
	}
	var node yaml.Node
	err := yaml.Unmarshal(text, &node)
	jsonSlash := false
	if err != nil && (bytes.Contains(text, []byte(`\/`)) || jsonSurrogate.Match(text)) {
		// JSON may escape "/" as "\/", which YAML 1.2 allows but yaml.v3 rejects, and write a
		// character beyond U+FFFF as a surrogate pair ("\ud83c\udf70"), which kubectl
		// accepts and yaml.v3 rejects. Parse a copy where each is escapes of the same length,
		// so positions stay true, and take the value of those strings from their original
		// text below.
		alt := bytes.ReplaceAll(text, []byte(`\/`), []byte(`\t`))
		alt = jsonSurrogate.ReplaceAll(alt, []byte(`\t\t\t\t\t\t`))
		if yaml.Unmarshal(alt, &node) == nil {
			err, jsonSlash = nil, true
		}
	}
	if err != nil {
		line, msg := seg.Line, err.Error()
		if m := yamlErrLine.FindStringSubmatch(strings.SplitN(err.Error(), "\n", 2)[0]); m != nil {
			msg = m[2]
			if m[1] != "" {
				var l int
				fmt.Sscan(m[1], &l)
				if parserErr.MatchString(msg) {
					// Counted from 0; at the end of the text, the last line.
					l = min(l+1, max(1, bytes.Count(bytes.TrimRight(text, "\r\n"), []byte("\n"))+1))
				}
				line = seg.Line + l - 1
			}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		return nil, &ParseError{Line: line, Msg: msg}
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		d.Root = node.Content[0]
		d.HeadComment, d.FootComment = node.HeadComment, node.FootComment
	}
	if d.Root == nil {
		return d, nil
	}
	if seg.Line > 1 {
		shift(d.Root, seg.Line-1)
	}
	if jsonSlash {
		if line := d.fixJSONEscapes(); line > 0 {
			return nil, &ParseError{Line: line, Msg: "a string with an escape that is neither YAML nor JSON"}
		}
	}
	if line := d.afterFlowRoot(); line > 0 {
		return nil, &ParseError{Line: line, Msg: "content after the end of the document's flow collection"}
	}
	d.JSON = d.Root.Kind == yaml.MappingNode && d.Root.Style&yaml.FlowStyle != 0 && jsonKeys(d.Root)
	return d, nil
}

// jsonKeys reports whether every key of every mapping in a flow collection is a
// double-quoted string, as JSON writes them: such a document gets JSON added, while a YAML
// flow mapping ({kind: Pod}) gets YAML. Comments around it do not matter.
func jsonKeys(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		if n.Style&yaml.FlowStyle == 0 {
			return false
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind != yaml.ScalarNode || k.Style&yaml.DoubleQuotedStyle == 0 || !jsonKeys(n.Content[i+1]) {
				return false
			}
		}
	case yaml.SequenceNode:
		if n.Style&yaml.FlowStyle == 0 {
			return false
		}
		for _, c := range n.Content {
			if !jsonKeys(c) {
				return false
			}
		}
	case yaml.AliasNode:
		return false
	}
	return true
}

// afterFlowRoot returns the line of any content after a root flow collection's closing
// bracket, or 0. yaml.v3 ignores such text ({a: 1}}x), which other YAML readers reject and
// which would mislead psafix's scanners.
func (d *Document) afterFlowRoot() int {
	r := d.Root
	if (r.Kind != yaml.MappingNode && r.Kind != yaml.SequenceNode) || r.Style&yaml.FlowStyle == 0 {
		return 0
	}
	end, err := d.flowEnd(r)
	if err != nil {
		return 0 // not found: the editor refuses to edit inside, so nothing relies on it
	}
	data := d.Src.Data
	for i := end + 1; i < d.Seg.End; i++ {
		switch data[i] {
		case ' ', '\t', '\r', '\n':
		case '#':
			for i < d.Seg.End && data[i] != '\n' {
				i++
			}
		default:
			return d.Src.LineOf(i)
		}
	}
	return 0
}

// oddLineBreak finds a line break other than LF and CRLF: a lone CR, or the NEL, LS and PS
// characters that yaml.v3 (like YAML 1.1) treats as line breaks.
func oddLineBreak(src *Source, seg Segment) (int, string) {
	text := src.Data[seg.Start:seg.End]
	// bytes.Index and IndexByte scan many bytes at a time; every document goes through this.
	at, what := -1, ""
	for off := 0; ; {
		i := bytes.IndexByte(text[off:], '\r')
		if i < 0 {
			break
		}
		if i += off; i+1 == len(text) || text[i+1] != '\n' {
			at, what = i, "a carriage return without a line feed"
			break
		}
		off = i + 1
	}
	for _, sep := range unicodeBreaks {
		if i := bytes.Index(text, sep); i >= 0 && (at < 0 || i < at) {
			at, what = i, "a Unicode line or paragraph separator (U+0085, U+2028, U+2029)"
		}
	}
	if at < 0 {
		return 0, ""
	}
	return src.LineOf(seg.Start + at), what
}

var unicodeBreaks = [][]byte{[]byte("\u0085"), []byte("\u2028"), []byte("\u2029")}

// onlyDirectivesOrComments reports whether a segment has no YAML content: only blank lines,
// comments and directives (a "%YAML 1.2" line before the first "---").
func onlyDirectivesOrComments(text []byte) bool {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && t[0] != '%' {
			return false
		}
	}
	return true
}

// shift moves the nodes' lines from segment to file coordinates.
func shift(n *yaml.Node, by int) {
	// Content is a tree: an alias is its own node pointing elsewhere, never a shared child.
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

// nodeFacts is what the index knows of one node.
type nodeFacts struct {
	parent int32      // index of the parent in order, -1 for the root
	size   int32      // number of nodes in the subtree, the node included
	key    *yaml.Node // for a mapping value, its key
}

// index builds the maps the editor needs, on first use: most parsed documents are only read.
func (d *Document) index() {
	if d.pos != nil || d.Root == nil {
		return
	}
	count := 0
	var counter func(n *yaml.Node)
	counter = func(n *yaml.Node) {
		count++
		for _, c := range n.Content {
			counter(c)
		}
	}
	counter(d.Root)
	d.pos = make(map[*yaml.Node]int32, count)
	d.order = make([]*yaml.Node, 0, count)
	d.facts = make([]nodeFacts, 0, count)
	var walk func(n *yaml.Node, parent int32, key *yaml.Node)
	walk = func(n *yaml.Node, parent int32, key *yaml.Node) {
		i := int32(len(d.order))
		d.pos[n] = i
		d.order = append(d.order, n)
		d.facts = append(d.facts, nodeFacts{parent: parent, key: key})
		for j, c := range n.Content {
			var k *yaml.Node
			if n.Kind == yaml.MappingNode && j%2 == 1 {
				k = n.Content[j-1]
			}
			walk(c, i, k)
		}
		d.facts[i].size = int32(len(d.order)) - i
	}
	walk(d.Root, -1, nil)
}

// parentOf returns the node that holds n, or nil (for the root, or a node not in d).
func (d *Document) parentOf(n *yaml.Node) *yaml.Node {
	if i, ok := d.pos[n]; ok && d.facts[i].parent >= 0 {
		return d.order[d.facts[i].parent]
	}
	return nil
}

// keyOf returns the key node of a mapping value, or nil.
func (d *Document) keyOf(n *yaml.Node) *yaml.Node {
	if i, ok := d.pos[n]; ok {
		return d.facts[i].key
	}
	return nil
}

// Parent returns the node that holds n (for a mapping value: the mapping).
func (d *Document) Parent(n *yaml.Node) *yaml.Node { d.index(); return d.parentOf(n) }

// KeyOf returns the key node of a mapping value.
func (d *Document) KeyOf(n *yaml.Node) *yaml.Node { d.index(); return d.keyOf(n) }

// Depth returns how many ancestors n has.
func (d *Document) Depth(n *yaml.Node) int {
	d.index()
	depth := 0
	for p := d.parentOf(n); p != nil; p = d.parentOf(p) {
		depth++
	}
	return depth
}

// inFlow reports whether n is written inside a flow collection (or is one).
func (d *Document) inFlow(n *yaml.Node) bool {
	d.index()
	for p := n; p != nil; p = d.parentOf(p) {
		if (p.Kind == yaml.MappingNode || p.Kind == yaml.SequenceNode) && p.Style&yaml.FlowStyle != 0 {
			return true
		}
	}
	return false
}

// valueOf returns the value node written for key k in mapping m (an alias stays an alias),
// or nil when k is not one of m's own keys.
func (d *Document) valueOf(m, k *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i] == k {
			return m.Content[i+1]
		}
	}
	return nil
}

// inItem reports whether n is the value of a key of a sequence item's mapping (a
// container's securityContext), rather than of a mapping under a key (a pod spec's).
func (d *Document) inItem(n *yaml.Node) bool {
	p := d.parentOf(n)
	if p == nil {
		return false
	}
	pp := d.parentOf(p)
	return pp != nil && pp.Kind == yaml.SequenceNode
}

// otherLevel reports whether alias a stands under the same key as its anchored node but at
// another level: one in a sequence item (a container), the other not (a pod spec).
func (d *Document) otherLevel(a, anchored *yaml.Node) bool {
	ka, kn := d.keyOf(a), d.keyOf(anchored)
	if ka == nil || kn == nil || ka.Tag == "!!merge" || ka.Value != kn.Value {
		return false
	}
	return d.inItem(a) != d.inItem(anchored)
}

// Resolve follows an alias to the node it names.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Lookup finds key in mapping m, following aliases and merge keys ("<<: *defaults") the way
// a YAML decoder does: a direct key wins over a merged one. It returns the key and the
// resolved value, or nils.
func Lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Tag != "!!merge" {
			return m.Content[i], Resolve(m.Content[i+1])
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag != "!!merge" {
			continue
		}
		src := Resolve(m.Content[i+1])
		srcs := []*yaml.Node{src}
		if src != nil && src.Kind == yaml.SequenceNode {
			srcs = src.Content
		}
		for _, s := range srcs {
			if k, v := Lookup(s, key); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// IsNull reports whether n is an explicit or implicit null ("key:", "~", "null").
func IsNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// Span returns the byte range of an object of the document: the whole segment for the
// root, else from the node's start to the start of the node that follows it (the next item
// of a List) or the segment's end. Every edit of the object starts in that range.
func (d *Document) Span(n *yaml.Node) (start, end int) {
	d.index()
	if n == d.Root || d.parentOf(n) == nil {
		return d.Seg.Start, d.Seg.End
	}
	start, end = d.Src.LineStart(d.StartLine(n)), d.Seg.End
	if d.inFlow(n) {
		start = d.start(n)
	}
	for p := n; p != nil; p = d.parentOf(p) {
		if f := d.following(p); f != nil {
			end = d.Src.LineStart(d.StartLine(f))
			if d.inFlow(f) {
				end = d.start(f)
			}
			break
		}
	}
	return start, end
}

// lastDescendant returns the last node of n's subtree in document order.
func (d *Document) lastDescendant(n *yaml.Node) *yaml.Node {
	i := d.pos[n]
	return d.order[i+d.facts[i].size-1]
}

// following returns the first node after n's subtree in document order, or nil.
func (d *Document) following(n *yaml.Node) *yaml.Node {
	i := int(d.pos[n] + d.facts[d.pos[n]].size)
	if i < len(d.order) {
		return d.order[i]
	}
	return nil
}

// EndLine returns the last line that holds content of n (trailing blank and comment lines
// excluded): the line after which a new sibling entry or item goes.
func (d *Document) EndLine(n *yaml.Node) int {
	d.index()
	limit := d.lastLn
	if f := d.following(n); f != nil {
		limit = d.StartLine(f) - 1
	}
	end := n.Line
	for l := limit; l > n.Line; l-- {
		if !isBlankOrComment(d.Src.Line(l)) {
			end = l
			break
		}
	}
	last := d.lastDescendant(n)
	if last.Kind == yaml.ScalarNode && last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		if e := d.blockScalarEnd(last); e > end {
			end = e
		}
	}
	if last.Kind == yaml.ScalarNode && last.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		// A quoted scalar's continuation lines may look like comments ("a\n  # b").
		if e := d.quotedEnd(last); e > end {
			end = e
		}
	}
	// A flow collection on the way ends at its closing bracket, which may follow a quoted
	// item's continuation line that looks like a comment ('["a\n  # b", c]').
	for p := last; p != nil; p = d.parentOf(p) {
		if (p.Kind == yaml.MappingNode || p.Kind == yaml.SequenceNode) && p.Style&yaml.FlowStyle != 0 {
			if off, err := d.flowEnd(p); err == nil && d.Src.LineOf(off) > end {
				end = d.Src.LineOf(off)
			}
		}
		if p == n {
			break
		}
	}
	if k := d.keyOf(last); k != nil && IsNull(last) && k.Line == end {
		end = d.NullTail(k)
	}
	return end
}

// NullTail returns the last line that belongs to a key with an empty value: the key's line,
// or the comment lines indented under it ("securityContext:" then "  # set later"), which
// read as the inside of the empty block and stay there when it is filled.
func (d *Document) NullTail(k *yaml.Node) int {
	end := k.Line
	for l := k.Line + 1; l <= d.lastLn; l++ {
		line := d.Src.Line(l)
		t := bytes.TrimLeft(line, " ")
		if len(t) == 0 || t[0] != '#' || indentOf(line) <= k.Column-1 {
			break
		}
		end = l
	}
	return end
}

// StartLine returns the first line of n's text: for a sequence item written "-" alone on
// its line with the content below, the dash's line.
func (d *Document) StartLine(n *yaml.Node) int {
	d.index()
	p := d.parentOf(n)
	if p == nil || p.Kind != yaml.SequenceNode || p.Style&yaml.FlowStyle != 0 || d.dashColumn(n) >= 0 {
		return n.Line
	}
	for l := n.Line - 1; l > p.Line-1 && l >= 1; l-- {
		line := d.Src.Line(l)
		if isBlankOrComment(line) {
			continue
		}
		if t := bytes.TrimLeft(line, " "); len(t) > 0 && t[0] == '-' {
			return l
		}
		break
	}
	return n.Line
}

// quotedEnd returns the line of the closing quote of a quoted scalar, which may be
// continued over several lines.
func (d *Document) quotedEnd(n *yaml.Node) int {
	return d.Src.LineOf(d.quotedEndOffset(n))
}

// quotedEndOffset returns the offset of the closing quote of a quoted scalar (its start
// when there is none).
func (d *Document) quotedEndOffset(n *yaml.Node) int {
	data := d.Src.Data
	s := d.start(n)
	if s >= d.Seg.End || (data[s] != '"' && data[s] != '\'') {
		return s
	}
	q := data[s]
	for i := s + 1; i < d.Seg.End; i++ {
		switch {
		case q == '"' && data[i] == '\\':
			i++
		case q == '\'' && data[i] == '\'' && i+1 < d.Seg.End && data[i+1] == '\'':
			i++
		case data[i] == q:
			return i
		}
	}
	return s
}

// blockScalarEnd returns the last non-blank line of a literal or folded scalar, whose
// content lines may look like comments.
func (d *Document) blockScalarEnd(n *yaml.Node) int {
	end := n.Line
	header := d.Src.Line(n.Line)
	headerIndent := indentOf(header)
	// With "keep" chomping (|+, >+) trailing blank lines are part of the value.
	keep := false
	if i := bytes.IndexAny(header[d.Src.Offset(n.Line, n.Column)-d.Src.LineStart(n.Line):], "|>"); i >= 0 {
		rest := header[d.Src.Offset(n.Line, n.Column)-d.Src.LineStart(n.Line)+i+1:]
		for _, c := range rest {
			if c == '+' {
				keep = true
			}
			if c != '+' && c != '-' && (c < '0' || c > '9') {
				break
			}
		}
	}
	contentIndent := -1
	for l := n.Line + 1; l <= d.lastLn; l++ {
		line := d.Src.Line(l)
		ind := indentOf(line)
		if isBlank(line) {
			// A whitespace-only line indented past the content holds spaces of the value.
			if keep || (contentIndent >= 0 && len(bytes.TrimRight(line, "\r")) > contentIndent) {
				end = l
			}
			continue
		}
		if contentIndent < 0 {
			contentIndent = ind
		}
		if ind < contentIndent || ind <= headerIndent {
			break
		}
		end = l
	}
	return end
}

// jsonSurrogate is a UTF-16 surrogate pair written as two \u escapes.
var jsonSurrogate = regexp.MustCompile(`\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}`)

// fixJSONEscapes recomputes the value of double-quoted scalars that use JSON's "\/" escape
// or a surrogate pair. It returns the line of one whose text JSON cannot read, or 0.
func (d *Document) fixJSONEscapes() int {
	d.index()
	for _, n := range d.order {
		if n.Kind != yaml.ScalarNode || n.Style&yaml.DoubleQuotedStyle == 0 {
			continue
		}
		s, e, err := d.scalarRange(n)
		if err != nil {
			if d.Src.LineOf(d.start(n)) != d.Src.LineOf(d.quotedEndOffset(n)) {
				// Multi-line: not JSON, whose strings hold no line break.
				text := d.Src.Data[d.start(n):d.quotedEndOffset(n)]
				if bytes.Contains(text, []byte(`\/`)) || jsonSurrogate.Match(text) {
					return n.Line
				}
			}
			continue
		}
		text := d.Src.Data[s:e]
		if !bytes.Contains(text, []byte(`\/`)) && !jsonSurrogate.Match(text) {
			continue
		}
		var v string
		if json.Unmarshal(text, &v) != nil {
			return n.Line
		}
		n.Value = v
	}
	return 0
}
