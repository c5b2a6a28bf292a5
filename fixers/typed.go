package fixers

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// Decoding a pod into the typed objects PSA checks is done twice per fixed document (before
// and after), and the JSON round trip (marshal the decoded YAML, unmarshal into the struct)
// was a sixth of psafix's time. decodeTyped does the same without writing the text, for the
// values it can place exactly as encoding/json would; for anything else it gives up
// (errSlow) and the caller takes the JSON path, which then also produces encoding/json's own
// error message. A test compares both on every fixture and corpus manifest.

var errSlow = errors.New("not on the direct path")

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodeTyped fills the struct out points to from v (map[string]any, []any, string, bool,
// int64, float64, nil, as kio.ToValue returns).
func decodeTyped(v any, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errSlow
	}
	return place(v, rv.Elem())
}

func place(v any, rv reflect.Value) error {
	if v == nil {
		// encoding/json: null clears pointers, maps, slices and interfaces, and leaves the
		// rest alone (an Unmarshaler gets to see it).
		switch rv.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			rv.SetZero()
			return nil
		}
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv.Set(reflect.New(rv.Type().Elem()))
		}
		return place(v, rv.Elem())
	}
	if customDecoder(rv.Type()) {
		// Quantities, IntOrStrings, Times: their own decoders, on this value's JSON.
		b, err := json.Marshal(v)
		if err != nil {
			return errSlow
		}
		if json.Unmarshal(b, rv.Addr().Interface()) != nil {
			return errSlow
		}
		return nil
	}
	if v == nil {
		return nil
	}
	switch rv.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return errSlow
		}
		fs := fieldsOf(rv.Type())
		for k, x := range m {
			f, ok := fs.byName[k]
			if !ok {
				if fs.folds(k) {
					return errSlow // encoding/json matches keys case-insensitively
				}
				continue
			}
			if f.quoted {
				return errSlow
			}
			fv, err := fieldAt(rv, f.index)
			if err != nil {
				return err
			}
			if err := place(x, fv); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || rv.Type().Key().Kind() != reflect.String || customDecoder(rv.Type().Key()) {
			return errSlow
		}
		if rv.IsNil() {
			rv.Set(reflect.MakeMapWithSize(rv.Type(), len(m)))
		}
		et, kt := rv.Type().Elem(), rv.Type().Key()
		for k, x := range m {
			if !utf8.ValidString(k) {
				return errSlow
			}
			ev := reflect.New(et).Elem()
			if err := place(x, ev); err != nil {
				return err
			}
			rv.SetMapIndex(reflect.ValueOf(k).Convert(kt), ev)
		}
		return nil
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok || rv.Type().Elem().Kind() == reflect.Uint8 {
			return errSlow
		}
		s := reflect.MakeSlice(rv.Type(), len(l), len(l))
		for i, x := range l {
			if err := place(x, s.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(s)
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok || !utf8.ValidString(s) {
			return errSlow
		}
		rv.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return errSlow
		}
		rv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := v.(int64)
		if !ok || rv.OverflowInt(i) {
			return errSlow
		}
		rv.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		i, ok := v.(int64)
		if !ok || i < 0 || rv.OverflowUint(uint64(i)) {
			return errSlow
		}
		rv.SetUint(uint64(i))
		return nil
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case int64:
			f = float64(x)
		case float64:
			f = x
		default:
			return errSlow
		}
		if rv.OverflowFloat(f) {
			return errSlow
		}
		rv.SetFloat(f)
		return nil
	}
	return errSlow
}

var customCache sync.Map // reflect.Type -> bool

// customDecoder reports whether *t decodes its own JSON (or text), as resource.Quantity,
// intstr.IntOrString and metav1.Time do. Cached: Implements is slow next to the rest.
func customDecoder(t reflect.Type) bool {
	if c, ok := customCache.Load(t); ok {
		return c.(bool)
	}
	pt := reflect.PointerTo(t)
	c := pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler)
	customCache.Store(t, c)
	return c
}

// fieldAt returns the field at index, allocating embedded struct pointers on the way as
// encoding/json does.
func fieldAt(rv reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				if !rv.CanSet() {
					return reflect.Value{}, errSlow
				}
				rv.Set(reflect.New(rv.Type().Elem()))
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, nil
}

type field struct {
	index  []int
	depth  int
	quoted bool // `json:",string"`
}

type structFields struct {
	byName map[string]field
	lower  map[string]bool // every field name, lower-cased
}

// folds reports whether k names a field in another case.
func (s *structFields) folds(k string) bool { return s.lower[strings.ToLower(k)] }

var fieldCache sync.Map // reflect.Type -> *structFields

// fieldsOf lists a struct's JSON fields by name, embedded structs' fields promoted, with
// encoding/json's rule for a name found twice: the shallower wins, and at the same depth
// the tagged one; otherwise neither (such a struct takes the JSON path).
func fieldsOf(t reflect.Type) *structFields {
	if s, ok := fieldCache.Load(t); ok {
		return s.(*structFields)
	}
	s := &structFields{byName: map[string]field{}, lower: map[string]bool{}}
	type cand struct {
		field
		tagged bool
	}
	cands := map[string][]cand{}
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		if depth > 8 {
			return
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int{}, index...), i)
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, idx, depth+1)
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			tagged := name != ""
			if name == "" {
				name = sf.Name
			}
			quoted := false
			for _, o := range strings.Split(opts, ",") {
				quoted = quoted || o == "string"
			}
			cands[name] = append(cands[name], cand{field{idx, depth, quoted}, tagged})
		}
	}
	walk(t, nil, 0)
	for name, cs := range cands {
		s.lower[strings.ToLower(name)] = true
		best, n := cs[0], 0
		for _, c := range cs {
			switch {
			case c.depth < best.depth || (c.depth == best.depth && c.tagged && !best.tagged):
				best, n = c, 1
			case c.depth == best.depth && c.tagged == best.tagged:
				n++
			}
		}
		// Ambiguous (n > 1): encoding/json drops the name; it is in lower, so a key that
		// could be it goes the JSON way.
		if n == 1 {
			s.byName[name] = best.field
		}
	}
	fieldCache.Store(t, s)
	return s
}
