package krm

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// checkShape tells why an item is not a Kubernetes object kyaml can carry: an item that is
// not a mapping, or whose metadata, annotations or labels are not mappings. kyaml's reader
// takes such items, but its writer (and every annotation lookup) indexes them as mappings and
// panics; psafix refuses them first, naming the item.
func checkShape(item *yaml.RNode, index, lineOffset int) error {
	n := item.YNode()
	where := fmt.Sprintf("items[%d]", index)
	if n == nil || n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s (line %d) is %s, not a mapping: not a Kubernetes object", where, line(n)+lineOffset, kindName(n))
	}
	if k := mapValue(n, "kind"); k != nil && k.Kind == yaml.ScalarNode && k.Value != "" {
		where += " (" + k.Value + ")"
	}
	meta := mapValue(n, "metadata")
	if !mappingOrNull(meta) {
		return fmt.Errorf("%s: metadata (line %d) is %s, not a mapping: not a Kubernetes object", where, meta.Line+lineOffset, kindName(meta))
	}
	if meta == nil || meta.Kind != yaml.MappingNode {
		return nil
	}
	for _, field := range []string{"annotations", "labels"} {
		if v := mapValue(meta, field); !mappingOrNull(v) {
			return fmt.Errorf("%s: metadata.%s (line %d) is %s, not a mapping: not a Kubernetes object", where, field, v.Line+lineOffset, kindName(v))
		}
	}
	return nil
}

// mapValue is the value of key in the mapping m, nil when it has none. An odd trailing
// node (never written by the parser) is ignored.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mappingOrNull(n *yaml.Node) bool {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n == nil || n.Kind == yaml.MappingNode || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}
