package rollout

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/psafix/psafix/fixers"
)

// Settings are psafix's options as users write them, merged from every place they can be
// written. The fixers' options are validated by fixers.ParseOptions; an option of the
// rollout alone goes in a field here, validated by its Option's Check.
type Settings struct {
	fixers.OptionStrings
	// ResolveImages reads the images' users from their registries into the image lock
	// ("true"; the command line only).
	ResolveImages string
	// ClusterVersion is the cluster's Kubernetes version (v1.N): what latest means there.
	ClusterVersion string
	// FailOn says which remaining violations fail a run: violations, unexempted or never.
	FailOn string
}

// The values of failOn (--fail-on).
const (
	FailOnViolations = "violations"
	FailOnUnexempted = "unexempted"
	FailOnNever      = "never"
)

// Kind is the shape of an option's value.
type Kind int

const (
	// String is one value.
	String Kind = iota
	// List is several values: a flag repeated or comma-separated, a YAML sequence (or one
	// comma-separated string in a functionConfig), comma-separated in a ConfigMap.
	List
	// Bool is true or false, kept as the string "true" or "false" ("" unset).
	Bool
)

// An Option is one setting, with the name it has in each place a user writes it:
//
//	command line            --Flag
//	.psafix.yaml            defaults: {Key: ...}
//	KRM PSAFix              spec: {Key: ...}
//	KRM ConfigMap           data: {Data: ...}    (lists comma-separated)
//
// Flags win over the config file, which wins over the defaults (those of
// fixers.DefaultOptions, and Default for --help).
type Option struct {
	Key  string
	Flag string
	// Data is the key in a ConfigMap functionConfig ("": Flag).
	Data string
	Kind Kind
	// Repeat: a List flag is repeated, never split at commas (paths may hold commas).
	Repeat bool
	// Usage is the flag's help; Default the default --help shows ("" for none).
	Usage   string
	Default string
	// Field is where the option goes in Settings: a *string for String and Bool, a
	// *[]string for List.
	Field func(s *Settings) any
	// Check validates a value fixers.ParseOptions does not know (nil: nothing to check).
	Check func(Value) error
	// NotInFunction: the KRM function does not read it (its functionConfig rejects it).
	NotInFunction bool
	// OwnFlag: the command line registers the flag itself, on the commands it applies to.
	OwnFlag bool
}

// Options is every option psafix reads. To add one: add its field to Settings (or to
// fixers.OptionStrings and fixers.ParseOptions, for an option of the fixers) and a line
// here. The command line, .psafix.yaml and the KRM function's config then all accept it,
// each under its name, with the same validation and precedence. Document it in
// docs/rollout.md (.psafix.yaml) and docs/krm-function.md (the functionConfig).
var Options = []Option{
	{Key: "level", Flag: "level", Default: "restricted",
		Usage: "Pod Security Standards level to reach: restricted or baseline",
		Field: func(s *Settings) any { return &s.Level }},
	{Key: "version", Flag: "version", Default: "latest",
		Usage: "Pod Security Standards policy version the level is checked at: latest or v1.N (v1.0 to v1.37); psafix's own version is 'psafix version'",
		Field: func(s *Settings) any { return &s.Version }},
	{Key: "fixers", Flag: "fixers", Kind: List,
		Usage: "run only these fixers (comma-separated IDs; see 'psafix fixers')",
		Field: func(s *Settings) any { return &s.Fixers }},
	{Key: "skip", Flag: "skip", Kind: List,
		Usage: "do not run these fixers (comma-separated IDs)",
		Field: func(s *Settings) any { return &s.Skip }},
	{Key: "runAsUser", Flag: "run-as-user", Default: strconv.Itoa(fixers.DefaultRunAsUser),
		Usage: "UID set where a pod has none, or 'none' to never set one (OpenShift assigns it)",
		Field: func(s *Settings) any { return &s.RunAsUser }},
	{Key: "writablePaths", Flag: "writable-path", Data: "writable-paths", Kind: List, Repeat: true, Default: "/tmp",
		Usage: "path that gets an emptyDir when the root filesystem is made read-only, added to the paths the image table knows (repeatable)",
		Field: func(s *Settings) any { return &s.WritablePaths }},
	{Key: "readOnlyRoot", Flag: "read-only-root", Default: string(fixers.ReadOnlyRootKnown),
		Usage: "which containers get readOnlyRootFilesystem: true: known (images whose writable paths are known), all (every container, each with a note), off (docs/safety.md)",
		Field: func(s *Settings) any { return &s.ReadOnlyRoot }},
	{Key: "fixExplicitRoot", Flag: "fix-explicit-root", Kind: Bool,
		Usage: "change an explicit runAsUser: 0 or runAsNonRoot: false (kept and reported by default), with a note",
		Field: func(s *Settings) any { return &s.FixExplicitRoot }},
	{Key: "removeCapabilities", Flag: "remove-capabilities", Kind: Bool,
		Usage: "remove added capabilities the level forbids (kept by default, which keeps the pod failing), each with a note",
		Field: func(s *Settings) any { return &s.RemoveCapabilities }},
	{Key: "explain", Flag: "explain", Kind: Bool,
		Usage: "write each risky edit's assumption as a comment on the line it changes (# psafix: ...), for the reviewer of the diff; not in JSON files",
		Field: func(s *Settings) any { return &s.Explain }},
	{Key: "resolveImages", Flag: "resolve-images", Kind: Bool, NotInFunction: true,
		Usage: "read the users of images not yet in .psafix-images.yaml from their registries into it (every run reads it offline; docs/images.md)",
		Field: func(s *Settings) any { return &s.ResolveImages }},
	{Key: "failOn", Flag: "fail-on", OwnFlag: true,
		Usage: "which remaining violations fail the run: violations (any), unexempted (not accepted with the psafix.dev/accept annotation, nor on an object exempt from the fixer that answers it), or never",
		Field: func(s *Settings) any { return &s.FailOn },
		Check: func(v Value) error {
			switch v.Str {
			case "", FailOnViolations, FailOnUnexempted, FailOnNever:
				return nil
			}
			return fmt.Errorf("failOn must be violations, unexempted or never, not %q", v.Str)
		}},
	{Key: "clusterVersion", Flag: "cluster-version", NotInFunction: true,
		Usage: "the cluster's Kubernetes version, v1.N: the default of --version and of the version labels pin (PSA on the cluster reads latest, and any newer version, as its own)",
		Field: func(s *Settings) any { return &s.ClusterVersion },
		Check: func(v Value) error {
			if v.Str == "" {
				return nil
			}
			_, err := ParseClusterVersion(v.Str)
			return err
		}},
}

// FunctionOption returns the option a KRM functionConfig names key: in a PSAFix's spec
// (data false) or a ConfigMap's data (data true). It returns nil for an unknown key.
func FunctionOption(key string, data bool) *Option {
	for i := range Options {
		o := &Options[i]
		if o.NotInFunction {
			continue
		}
		if (!data && o.Key == key) || (data && o.DataKey() == key) {
			return o
		}
	}
	return nil
}

// DataKey is the option's key in a ConfigMap functionConfig.
func (o *Option) DataKey() string {
	if o.Data != "" {
		return o.Data
	}
	return o.Flag
}

// OptionKeys are the keys of .psafix.yaml's defaults and a PSAFix's spec, in table order.
func OptionKeys() []string {
	var out []string
	for _, o := range Options {
		out = append(out, o.Key)
	}
	return out
}

// FunctionKeys are the keys of a KRM functionConfig, in table order: of a PSAFix's spec
// (data false) or a ConfigMap's data (data true).
func FunctionKeys(data bool) []string {
	var out []string
	for _, o := range Options {
		switch {
		case o.NotInFunction:
		case data:
			out = append(out, o.DataKey())
		default:
			out = append(out, o.Key)
		}
	}
	return out
}

// A Value is an option as one place wrote it: Str for String and Bool, List for List.
type Value struct {
	Str  string
	List []string
	// Line is where a file wrote it (0: the command line).
	Line int
}

// set puts v into s.
func (o *Option) set(s *Settings, v Value) {
	switch p := o.Field(s).(type) {
	case *string:
		*p = v.Str
	case *[]string:
		*p = v.List
	}
}

// validate checks a value alone, so that an error points at the place that wrote it.
func (o *Option) validate(v Value) error {
	var s Settings
	o.set(&s, v)
	if _, err := fixers.ParseOptions(s.OptionStrings); err != nil {
		return err
	}
	if o.Kind == Bool && v.Str != "" {
		if v.Str != "true" && v.Str != "false" {
			return fmt.Errorf("%s must be true or false, not %q", o.Key, v.Str)
		}
	}
	if o.Check != nil {
		return o.Check(v)
	}
	return nil
}

// A Layer is the options one place sets (the command line, a config file, a
// functionConfig), by Option.Key.
type Layer struct {
	Values map[string]Value
	// Line is where the layer starts in its file, for errors about the layer as a whole.
	Line int
	// Fail locates an error about the value of o (nil: about the layer as a whole, at
	// Line) in the layer's terms: PATH:LINE for a file, the object for a functionConfig.
	// Nil returns the error as it is.
	Fail func(o *Option, line int, err error) error
}

// NewLayer starts an empty layer.
func NewLayer(fail func(o *Option, line int, err error) error) *Layer {
	return &Layer{Values: map[string]Value{}, Fail: fail}
}

// Set records a value of the option named key.
func (l *Layer) Set(key string, v Value) { l.Values[key] = v }

func (l *Layer) fail(o *Option, line int, err error) error {
	if l.Fail == nil {
		return err
	}
	return l.Fail(o, line, err)
}

// Check validates each value of the layer alone, then the layer as a whole (--fixers and
// --skip together).
func (l *Layer) Check() error {
	var s Settings
	for i := range Options {
		o := &Options[i]
		v, ok := l.Values[o.Key]
		if !ok {
			continue
		}
		if err := o.validate(v); err != nil {
			return l.fail(o, v.Line, err)
		}
		o.set(&s, v)
	}
	if _, err := fixers.ParseOptions(s.OptionStrings); err != nil {
		return l.fail(nil, l.Line, err)
	}
	return nil
}

// Read merges layers, each one winning over those before it (pass the config file's, then
// the command line's), and parses the result into the fixers' options. Each layer is
// checked first, so that an error names the place that wrote it; an error of the merged
// options (a fixer one layer runs only and another skips) is returned as it is.
func Read(layers ...*Layer) (Settings, *fixers.Options, error) {
	var s Settings
	for _, l := range layers {
		if l == nil {
			continue
		}
		if err := l.Check(); err != nil {
			return s, nil, err
		}
		for i := range Options {
			if v, ok := l.Values[Options[i].Key]; ok {
				Options[i].set(&s, v)
			}
		}
	}
	opts, err := fixers.ParseOptions(s.OptionStrings)
	return s, opts, err
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// OptionByKey returns the option named key in .psafix.yaml, or nil.
func OptionByKey(key string) *Option {
	for i := range Options {
		if Options[i].Key == key {
			return &Options[i]
		}
	}
	return nil
}
