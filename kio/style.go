package kio

import "sigs.k8s.io/kustomize/kyaml/yaml"

// DefaultStyle is used where a document has no nested block collections to learn from.
var DefaultStyle = Style{Step: 2, Dash: 0, Pad: 2}

// StyleAt returns the indentation style closest to n: the nearest ancestor whose subtree has
// a nested block mapping (for Step) and a block sequence under a key (for Dash and Pad)
// decides, and within it the shallowest example. Files mix styles ("2-space outside lists,
// 4-space inside"), so the nearest example wins over a document-wide vote.
func (d *Document) StyleAt(n *yaml.Node) Style {
	d.index()
	st := Style{}
	haveStep, haveSeq := false, false
	visit := func(m *yaml.Node) {
		if m.Kind == yaml.MappingNode && m.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				if v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
					continue
				}
				switch v.Kind {
				case yaml.MappingNode:
					if s := v.Content[0].Column - k.Column; !haveStep && s > 0 && v.Content[0].Line > k.Line {
						st.Step, haveStep = s, true
					}
				case yaml.SequenceNode:
					if haveSeq {
						continue
					}
					item := v.Content[0]
					col := itemColumn(item)
					if dc := d.dashColumn(item); dc >= 0 && dc >= k.Column-1 && col-1 > dc+1 {
						st.Dash, st.Pad, haveSeq = dc-(k.Column-1), col-1-dc, true
					}
				}
			}
		}
	}
	search := func(root *yaml.Node) {
		queue := []*yaml.Node{root}
		for len(queue) > 0 && !(haveStep && haveSeq) {
			m := queue[0]
			queue = append(queue[1:], m.Content...)
			visit(m)
		}
	}
	for a := n; a != nil && !(haveStep && haveSeq); a = d.parentOf(a) {
		search(a)
	}
	if !haveStep {
		st.Step = DefaultStyle.Step
	}
	if !haveSeq {
		st.Dash, st.Pad = DefaultStyle.Dash, DefaultStyle.Pad
	}
	return st
}

// seqStyle returns the dash column (0-based) and pad of an existing block sequence's items.
func (d *Document) seqStyle(s *yaml.Node) (dash, pad int, ok bool) {
	for _, item := range s.Content {
		col := itemColumn(item)
		if dc := d.dashColumn(item); dc >= 0 && col-1 > dc+1 {
			return dc, col - 1 - dc, true
		}
	}
	return 0, 0, false
}

// itemColumn is where a sequence item's content starts: the first key of a block mapping
// (the node itself may be placed at an anchor), the bracket of a flow collection.
func itemColumn(item *yaml.Node) int {
	if item.Kind == yaml.MappingNode && item.Style&yaml.FlowStyle == 0 && len(item.Content) > 0 {
		return item.Content[0].Column
	}
	return item.Column
}
