package krm

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
)

// The typed functionConfig.
const (
	APIVersion = "psafix.dev/v1alpha1"
	Kind       = "PSAFix"
)

// ErrConfig is wrapped by every error about a functionConfig psafix cannot use.
var ErrConfig = errors.New("bad functionConfig")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// Options reads a functionConfig: none (the defaults), a PSAFix (psafix.dev/v1alpha1) with
// its options under spec, or a ConfigMap with them under data, named like the flags. The
// options and their names are rollout.Options, those of the command line and .psafix.yaml.
func Options(fc *yaml.RNode) (*fixers.Options, error) {
	_, o, err := Settings(fc)
	return o, err
}

// Settings reads a functionConfig as Options does, with the settings as written (failOn).
func Settings(fc *yaml.RNode) (rollout.Settings, *fixers.Options, error) {
	s, o, _, err := readConfig(fc)
	return s, o, err
}

// inlineKeys are the keys of a PSAFix's spec that hold what .psafix.yaml holds beside its
// defaults, inline (a function has no files to name): exemptions, images, admissionConfig.
var inlineKeys = []string{"exemptions", "images", "admissionConfig"}

// readConfig reads a functionConfig: the settings, the fixers' options with the spec's
// exemptions and images, and its admission config (nil when none).
func readConfig(fc *yaml.RNode) (rollout.Settings, *fixers.Options, *rollout.AdmissionConfig, error) {
	s, in, err := optionLayer(fc)
	if err != nil {
		return rollout.Settings{}, nil, nil, err
	}
	s.Fail = func(_ *rollout.Option, _ int, err error) error {
		return configErr("%s: %v", describe(fc), err)
	}
	settings, opts, err := rollout.Read(s)
	if err != nil {
		return settings, nil, nil, err
	}
	if len(in) == 0 {
		return settings, opts, nil, nil
	}
	where := describe(fc)
	policy, err := rollout.InlinePolicy(where, in["exemptions"], in["images"])
	if err != nil {
		return settings, nil, nil, configErr("%v", err)
	}
	if in["exemptions"] != nil {
		opts.ExemptionFor = policy.ExemptionFor
	}
	opts.Images = append(policy.Images, opts.Images...)
	var admission *rollout.AdmissionConfig
	if n := in["admissionConfig"]; n != nil && !kio.IsNull(n) {
		if admission, err = rollout.InlineAdmissionConfig(where+": spec.admissionConfig", n); err != nil {
			return settings, nil, nil, configErr("%v", err)
		}
	}
	return settings, opts, admission, nil
}

func optionLayer(fc *yaml.RNode) (*rollout.Layer, map[string]*yaml.Node, error) {
	s := rollout.NewLayer(nil)
	if fc == nil || fc.YNode() == nil || kio.IsNull(fc.YNode()) {
		return s, nil, nil
	}
	root := kio.Resolve(fc.YNode())
	if root.Kind != yaml.MappingNode {
		return s, nil, configErr("it must be a mapping (a PSAFix or a ConfigMap), not %s", kindName(root))
	}
	apiVersion, kind := kio.ScalarAt(root, "apiVersion"), kio.ScalarAt(root, "kind")
	switch {
	case kind == Kind:
		if apiVersion != APIVersion {
			return s, nil, configErr("%s: apiVersion must be %s, not %q", describe(fc), APIVersion, apiVersion)
		}
		return typedOptions(fc, root)
	case kind == "ConfigMap" && (apiVersion == "v1" || apiVersion == ""):
		l, err := configMapOptions(fc, root)
		return l, nil, err
	case kind == "" && apiVersion == "" && len(root.Content) == 0:
		return s, nil, nil // "functionConfig: {}"
	}
	return s, nil, configErr("its kind must be %s (apiVersion: %s) or ConfigMap (apiVersion: v1), not %s %s", Kind, APIVersion, orNone(apiVersion), orNone(kind))
}

func typedOptions(fc *yaml.RNode, root *yaml.Node) (*rollout.Layer, map[string]*yaml.Node, error) {
	s := rollout.NewLayer(nil)
	inline := map[string]*yaml.Node{}
	where := describe(fc)
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k := root.Content[i].Value; k {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			return s, nil, configErr("%s: unknown field %q at the top level; the options go under spec (%s)", where, k, strings.Join(rollout.FunctionKeys(false), ", "))
		}
	}
	_, spec := kio.Lookup(root, "spec")
	if spec == nil || kio.IsNull(spec) {
		return s, nil, nil
	}
	if spec.Kind != yaml.MappingNode {
		return s, nil, configErr("%s: spec must be a mapping, not %s", where, kindName(spec))
	}
	for i := 0; i+1 < len(spec.Content); i += 2 {
		key, v := spec.Content[i].Value, kio.Resolve(spec.Content[i+1])
		field := "spec." + key
		if slices.Contains(inlineKeys, key) {
			inline[key] = v
			continue
		}
		o := rollout.FunctionOption(key, false)
		if o == nil {
			return s, nil, configErr("%s: unknown field %s%s; PSAFix's spec has %s", where, field, didYouMean(key, rollout.FunctionKeys(false)), strings.Join(append(rollout.FunctionKeys(false), inlineKeys...), ", "))
		}
		var val rollout.Value
		var err error
		if o.Kind == rollout.List {
			val.List, err = list(v, field)
		} else {
			val.Str, err = str(v, field)
		}
		if err != nil {
			return s, nil, configErr("%s: %v", where, err)
		}
		if !kio.IsNull(v) {
			s.Set(key, val)
		}
	}
	return s, inline, nil
}

func configMapOptions(fc *yaml.RNode, root *yaml.Node) (*rollout.Layer, error) {
	s := rollout.NewLayer(nil)
	where := describe(fc)
	_, data := kio.Lookup(root, "data")
	if data == nil || kio.IsNull(data) {
		return s, nil
	}
	if data.Kind != yaml.MappingNode {
		return s, configErr("%s: data must be a mapping, not %s", where, kindName(data))
	}
	for i := 0; i+1 < len(data.Content); i += 2 {
		key, v := data.Content[i].Value, kio.Resolve(data.Content[i+1])
		val, err := str(v, "data."+key)
		if err != nil {
			return s, configErr("%s: %v", where, err)
		}
		o := rollout.FunctionOption(key, true)
		if o == nil {
			keys := rollout.FunctionKeys(true)
			return s, configErr("%s: unknown key data.%s%s; the keys are %s (lists comma-separated)", where, key, didYouMean(key, keys), strings.Join(keys, ", "))
		}
		if o.Kind == rollout.List {
			s.Set(o.Key, rollout.Value{List: splitList(val)})
		} else {
			s.Set(o.Key, rollout.Value{Str: val})
		}
	}
	return s, nil
}

// str reads a scalar option; null is unset.
func str(v *yaml.Node, field string) (string, error) {
	if v == nil || kio.IsNull(v) {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s must be a string, not %s", field, kindName(v))
	}
	return strings.TrimSpace(v.Value), nil
}

// list reads a list option: a sequence of strings, or one comma-separated string.
func list(v *yaml.Node, field string) ([]string, error) {
	if v == nil || kio.IsNull(v) {
		return nil, nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		return splitList(v.Value), nil
	case yaml.SequenceNode:
		var out []string
		for i, it := range v.Content {
			it = kio.Resolve(it)
			if it.Kind != yaml.ScalarNode || kio.IsNull(it) {
				return nil, fmt.Errorf("%s[%d] must be a string, not %s", field, i, kindName(it))
			}
			out = append(out, splitList(it.Value)...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a list of strings, not %s", field, kindName(v))
}

func splitList(s string) []string { return rollout.SplitList(s) }

// describe names a functionConfig in messages: PSAFix "name" or ConfigMap "name".
func describe(fc *yaml.RNode) string {
	if fc == nil || fc.YNode() == nil {
		return "functionConfig"
	}
	root := kio.Resolve(fc.YNode())
	kind := kio.ScalarAt(root, "kind")
	if kind == "" {
		kind = "functionConfig"
	}
	if name := kio.ScalarAt(root, "metadata", "name"); name != "" {
		return fmt.Sprintf("%s %q", kind, name)
	}
	return kind
}

func kindName(n *yaml.Node) string {
	switch {
	case n == nil || kio.IsNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// didYouMean suggests the known name a misspelt key stands for (case, dashes and a plural
// aside): "run-as-user" in a PSAFix is runAsUser.
func didYouMean(key string, known []string) string {
	norm := func(s string) string {
		s = strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
		return strings.TrimSuffix(s, "s")
	}
	var hits []string
	for _, k := range known {
		if norm(k) == norm(key) {
			hits = append(hits, k)
		}
	}
	sort.Strings(hits)
	if len(hits) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(hits, " or ") + "?)"
}
