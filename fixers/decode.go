package fixers

import (
	"fmt"
	"reflect"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// A pod template the API server cannot decode (containers: 5, securityContext: [a],
// runAsUser: "abc") is an error, not a violation: psafix leaves its file as it is and says
// where the value is and what the API expects there, as kubectl's decoder would refuse it.

// decodeError locates why workload w of the file at path does not decode (err, from
// decodePod): the innermost value whose type is not the API's, at the line and column of its
// key (or of its item in a list). Where no such value is found (a value a custom decoder
// refuses on its own terms), the error is at the pod template's spec.
func decodeError(path string, w *kio.Workload, err error) *kio.Error {
	prefix := fieldPath(w.Path)
	for _, part := range []struct {
		key string
		t   reflect.Type
	}{{"metadata", objectMetaType}, {"spec", podSpecType}} {
		k, v := kio.Lookup(w.Template, part.key)
		if v == nil {
			continue
		}
		if at, where, msg := badValue(k, v, part.t, joinPath(prefix, part.key), 0); at != nil {
			return &kio.Error{Path: path, Line: at.Line, Column: at.Column,
				Msg: fmt.Sprintf("%s: cannot decode %s: %s (the API server refuses it)", w.ID(), where, msg)}
		}
	}
	at := w.Spec
	if at == nil {
		at = w.Template
	}
	return &kio.Error{Path: path, Line: at.Line, Column: at.Column,
		Msg: fmt.Sprintf("%s: cannot decode %s: %v (the API server refuses it)", w.ID(), specPath(w), err)}
}

// badValue walks value n (under key node k, nil for a list item) along type t and returns
// the node to point at, the field's path and what is wrong, or a nil node when n decodes.
func badValue(k, n *yaml.Node, t reflect.Type, path string, depth int) (*yaml.Node, string, string) {
	n = kio.Resolve(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	here := k
	if here == nil {
		here = n
	}
	if n == nil || kio.IsNull(n) || depth > 64 || t.Kind() == reflect.Interface {
		return nil, "", ""
	}
	wrong := func() (*yaml.Node, string, string) {
		return here, path, expected(t) + " expected, not " + found(n)
	}
	if customDecoder(t) || isScalarKind(t.Kind()) {
		v, err := kio.ToValue(n)
		if err != nil {
			return here, path, err.Error()
		}
		if decodeInto(v, reflect.New(t).Interface()) != nil {
			return wrong()
		}
		return nil, "", ""
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if n.Kind != yaml.MappingNode {
			return wrong()
		}
		var fs *structFields
		if t.Kind() == reflect.Struct {
			fs = fieldsOf(t)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			if key.ShortTag() == "!!merge" {
				// <<: *a or <<: [*a, *b]: the merged mappings are read as this one.
				for _, m := range mergedMaps(val) {
					if at, where, msg := badValue(nil, m, t, path, depth+1); at != nil {
						return at, where, msg
					}
				}
				continue
			}
			var ft reflect.Type
			if fs == nil {
				ft = t.Elem()
			} else {
				f, ok := fs.byName[key.Value]
				if !ok {
					f, ok = fs.fold(key.Value)
				}
				if !ok {
					continue // an unknown field is the strict check's business
				}
				ft = fieldType(t, f.index)
			}
			if at, where, msg := badValue(key, val, ft, joinPath(path, pathKey(key.Value, fs == nil)), depth+1); at != nil {
				return at, where, msg
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, "", "" // base64 text: decodeInto had its say
		}
		if n.Kind != yaml.SequenceNode {
			return wrong()
		}
		for i, it := range n.Content {
			if at, where, msg := badValue(nil, it, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1); at != nil {
				return at, where, msg
			}
		}
	}
	return nil, "", ""
}

// pathKey writes a key of a map (a label, an annotation) in brackets, a field plainly.
func pathKey(k string, inMap bool) string {
	if inMap {
		return "[" + k + "]"
	}
	return k
}

func mergedMaps(v *yaml.Node) []*yaml.Node {
	v = kio.Resolve(v)
	if v != nil && v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}

func fieldType(t reflect.Type, index []int) reflect.Type {
	for _, i := range index {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		t = t.Field(i).Type
	}
	return t
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// expected says what the API takes for type t, as a user writes it.
func expected(t reflect.Type) string {
	switch t.String() {
	case "resource.Quantity":
		return "a quantity (such as 100m or 1Gi)"
	case "intstr.IntOrString":
		return "an integer or a string"
	case "v1.Time", "v1.MicroTime":
		return "a time (RFC 3339)"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

// found says what the file holds at n, as the API server reads it (YAML 1.1: y, yes, on
// and off are booleans).
func found(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	x, _ := kio.ToValue(n)
	switch x := x.(type) {
	case bool:
		if n.ShortTag() != "!!bool" {
			return fmt.Sprintf("%s, which YAML 1.1 (kubectl) reads as %v (quote it for a string)", v, x)
		}
		return v
	case int64, float64:
		return "the number " + v
	case string:
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	}
	return strings.TrimSpace(n.ShortTag() + " " + v)
}

// fold finds a field whose name matches k in another case, as encoding/json does when no
// name matches exactly.
func (s *structFields) fold(k string) (field, bool) {
	for name, f := range s.byName {
		if strings.EqualFold(name, k) {
			return f, true
		}
	}
	return field{}, false
}
