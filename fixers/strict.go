package fixers

import (
	"reflect"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The API server decodes strictly (field validation; kubectl apply and server-side apply
// reject what it finds): a field a type does not have is an error, as is a key written
// twice (kio.ToValue refuses those already). A pod-level securityContext is a
// PodSecurityContext, which has no allowPrivilegeEscalation: an anchor shared by a pod and a
// container must never get a container-only field. The verification refuses a result with
// an unknown field that its original did not have.

var (
	objectMetaType = reflect.TypeFor[metav1.ObjectMeta]()
	podSpecType    = reflect.TypeFor[corev1.PodSpec]()
)

// unknownField returns the path of the first field of a decoded pod template ("metadata",
// "spec") that the API's types do not have, or "".
func unknownField(tmpl map[string]any) string {
	if tmpl == nil {
		return ""
	}
	if p := unknownIn(tmpl["metadata"], objectMetaType, "metadata"); p != "" {
		return p
	}
	return unknownIn(tmpl["spec"], podSpecType, "spec")
}

// unknownIn walks v (as kio.ToValue returns it) along type t, matching keys to JSON field
// names exactly, as the API server's case-sensitive decoder does.
func unknownIn(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil || customDecoder(t) {
		return ""
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		fs := fieldsOf(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the same field named every run
		for _, k := range keys {
			f, ok := fs.byName[k]
			if !ok {
				return path + "." + k
			}
			ft := t
			for _, i := range f.index {
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				ft = ft.Field(i).Type
			}
			if p := unknownIn(m[k], ft, path+"."+k); p != "" {
				return p
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		for k, x := range m {
			if p := unknownIn(x, t.Elem(), path+"["+k+"]"); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		l, ok := v.([]any)
		if !ok {
			return ""
		}
		for i, x := range l {
			if p := unknownIn(x, t.Elem(), path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}
