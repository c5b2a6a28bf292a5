package kio

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// ToValue converts a node to plain Go values (map[string]any, []any, string, bool, int64,
// float64, nil) with the rules the Kubernetes API server's decoder applies: YAML 1.1
// booleans ("yes", "on"), merge keys resolved, aliases expanded. Duplicate keys are an error,
// as they are for kubectl.
func ToValue(n *yaml.Node) (any, error) {
	budget := maxNodes
	return toValue(n, 0, &budget)
}

// LineError is a value psafix will not decode, at a line of the file.
type LineError = Error

// maxDepth bounds nesting, and maxNodes the nodes that alias expansion may produce, so that
// a YAML bomb ("billion laughs") ends in an error instead of eating the machine.
const (
	maxDepth = 200
	maxNodes = 1 << 20
)

var (
	errTooDeep  = fmt.Errorf("document nested more than %d levels deep: not a manifest psafix edits", maxDepth)
	errTooLarge = fmt.Errorf("aliases expand to more than %d nodes (a YAML bomb?): not a manifest psafix edits", maxNodes)
)

func toValue(n *yaml.Node, depth int, budget *int) (any, error) {
	if depth > maxDepth {
		return nil, &LineError{Line: n.Line, Msg: errTooDeep.Error()}
	}
	if *budget--; *budget < 0 {
		return nil, &LineError{Line: n.Line, Msg: errTooLarge.Error()}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toValue(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		return toValue(n.Alias, depth+1, budget)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merges = append(merges, v)
				continue
			}
			key := k.Value
			// Merged keys are added below, so out holds only the mapping's own keys here.
			if _, dup := out[key]; dup {
				return nil, &LineError{Line: k.Line, Msg: fmt.Sprintf("duplicate key %q", key)}
			}
			val, err := toValue(v, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out[key] = val
		}
		// Merged keys never override the mapping's own.
		for _, m := range merges {
			m = Resolve(m)
			srcs := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				srcs = m.Content
			}
			for _, s := range srcs {
				v, err := toValue(s, depth+1, budget)
				if err != nil {
					return nil, err
				}
				mv, ok := v.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("line %d: merge key needs a mapping", s.Line)
				}
				for k, x := range mv {
					if _, have := out[k]; !have {
						out[k] = x
					}
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(n), nil
	}
	return nil, fmt.Errorf("line %d: unexpected node", n.Line)
}

func scalarValue(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool", "!!str":
		if b, ok := ParseBool(n); ok {
			return b
		}
		return n.Value
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i
		}
		if strings.HasPrefix(s, "0o") {
			if i, err := strconv.ParseInt(s[2:], 8, 64); err == nil {
				return i
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
				return int64(f)
			}
			return f
		}
	}
	return n.Value
}

// Comments returns every comment of a text (the part of a line from an unquoted '#' that
// follows white space), trimmed and sorted: two versions of a file that keep every comment
// have equal lists.
func Comments(data []byte) []string {
	var out []string
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if i := commentStart(line); i >= 0 {
			out = append(out, strings.TrimSpace(string(line[i:])))
		}
	}
	sort.Strings(out)
	return out
}
