// Package rollout is psafix's rollout policy, shared by the command line and the KRM
// function: the .psafix.yaml config file (defaults, exemptions, image users), the
// Namespace manifests of the input and the level and version each namespace's workloads are
// fixed for, the pod-security labels psafix recommends, and the label edit that puts them
// into Namespace manifests, changing only label lines.
//
// It reads YAML through kio and fixes nothing itself: it sets the hooks of
// fixers.Options (TargetFor, ExemptionFor, Images) that the engine calls.
package rollout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// The config file: .psafix.yaml, found upward from the paths psafix is given (or named
// with --config).
const (
	ConfigName       = ".psafix.yaml"
	ConfigAPIVersion = "psafix.dev/v1alpha1"
	ConfigKind       = "Config"
)

// Config is a parsed .psafix.yaml:
//
//	apiVersion: psafix.dev/v1alpha1
//	kind: Config
//	defaults:             # each one loses to its flag when the flag is given
//	  level: restricted   # --level
//	  version: v1.30      # --version
//	  runAsUser: 10001    # --run-as-user (a UID or none)
//	  writablePaths: [/tmp, /var/cache/nginx]   # --writable-path
//	  fixers: [...]       # --fixers
//	  skip: [read-only-root]                    # --skip
//	  resolveImages: true # --resolve-images (docs/images.md)
//	  readOnlyRoot: known # --read-only-root (known, all or off; docs/safety.md)
//	  fixExplicitRoot: false                    # --fix-explicit-root
//	  removeCapabilities: false                 # --remove-capabilities
//	  explain: false                            # --explain
//	exemptions:           # the first that matches an object wins
//	  - namespace: kube-system            # every object of a namespace (globs allowed)
//	    reason: managed by the cloud provider
//	  - object: DaemonSet/monitoring/node-exporter   # Kind/namespace/name (globs allowed)
//	    fixers: [read-only-root]          # only these fixers (default: all of them)
//	    reason: writes its textfile collector under /var/lib
//	  - fixers: [read-only-root]          # no namespace or object: everywhere
//	    reason: not yet; see JIRA-123
//	objects:              # settings per object (the first that matches wins)
//	  - object: CronJob/batch/report      # Kind/namespace/name (globs allowed)
//	    runAsUser: 3003                   # its UID (none: never set one)
//	    writablePaths: [/tmp, /var/cache/report]  # where it writes
//	    reason: the report image's user
//	exclude:              # gitignore-style globs, relative to this file's folder
//	  - vendor/**
//	  - "**/testdata/"
//	images:               # facts about images, before the built-in table (first match wins)
//	  - pattern: ghcr.io/acme/*     # Docker-style reference, * and ? allowed, optional :tag
//	    uid: 10001                  # the non-root user it is built for (0: needs root)
//	    gid: 10001                  # its group (fsGroup for persistent volumes)
//	    needsRoot: false            # true: never made non-root nor hardened
//	    writablePaths: [/tmp]       # where it writes: read-only root is then known to work
//	    reason: our base image's user
//	charts:               # values files per chart, as -f gives them (relative to this file's folder)
//	  - path: charts/web
//	    values: [deploy/web/values-prod.yaml]   # in order: a later one wins
type Config struct {
	// Path is the file, as given or found (relative to the current folder when below it).
	Path string
	// Defaults are the options of defaults:, as written (never nil).
	Defaults *Layer
	// Images extend the built-in table of image users (fixers.Options.Images).
	Images []fixers.ImageUID
	// Exclude are gitignore-style globs (** for any folders), relative to the config
	// file's folder: paths a walk leaves out.
	Exclude []string
	// AdmissionConfig is the API server's admission config file (admissionConfig:), as
	// written: relative to the config file's folder.
	AdmissionConfig string
	// Namespaces are the files (paths or globs, relative to the config file's folder) whose
	// Namespace manifests every run reads, whatever paths it is given (namespaces:).
	Namespaces []string
	// Charts are the values files of charts (charts:), relative to the config file's
	// folder: each chart is rendered with its own, as with -f.
	Charts     []ChartEntry
	exemptions []configExemption
	objects    []configObject
}

// configObject is an entry of objects: settings for the objects a selector matches.
type configObject struct {
	kind, ns, name string // from object, globs
	object         string
	line           int
	settings       fixers.ObjectSettings
}

type configExemption struct {
	namespace          string // a glob; "" with object also ""
	kind, ns, name     string // from object, globs
	object             string
	fixers             []string
	reason             string
	line               int
	hasNamespace, hasO bool
}

// ConfigError is a problem in the config file, shown as PATH:LINE: message.
type ConfigError = kio.Error

// LoadConfig reads and validates a config file.
func LoadConfig(p string) (*Config, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, &ConfigError{Path: p, Msg: "cannot read the config file: " + errMsg(err)}
	}
	c, err := ParseConfig(p, data)
	if err != nil {
		return nil, err
	}
	if err := c.checkCharts(); err != nil {
		return nil, err
	}
	return c, nil
}

var (
	topFields       = []string{"apiVersion", "kind", "defaults", "exemptions", "objects", "images", "exclude", "admissionConfig", "namespaces", "charts"}
	exemptionFields = []string{"namespace", "object", "fixers", "reason"}
	objectFields    = []string{"object", "runAsUser", "writablePaths", "reason"}
	imageFields     = []string{"pattern", "uid", "gid", "needsRoot", "writablePaths", "reason"}
)

// ParseConfig parses a config file; every unknown field, wrong type or bad value is an
// error located at its line.
func ParseConfig(p string, data []byte) (*Config, error) {
	c := &Config{Path: p, Defaults: NewLayer(nil)}
	fail := func(n *yaml.Node, format string, args ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &ConfigError{Path: p, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	_, docs, err := kio.ParseFile(p, data)
	if err != nil {
		return nil, err
	}
	root, second := kio.OneRoot(docs)
	if second != nil {
		return nil, fail(second, "a config file holds one document")
	}
	if root == nil {
		return nil, &ConfigError{Path: p, Msg: fmt.Sprintf("empty config file (start it with apiVersion: %s and kind: %s)", ConfigAPIVersion, ConfigKind)}
	}
	if _, err := kio.ToValue(root); err != nil {
		var le *kio.LineError
		if errors.As(err, &le) {
			return nil, &ConfigError{Path: p, Line: le.Line, Msg: le.Msg}
		}
		return nil, fail(root, "%v", err)
	}
	top, err := fields(root, "the top level", topFields, fail)
	if err != nil {
		return nil, err
	}
	if v, err := scalarField(top, "apiVersion", fail); err != nil {
		return nil, err
	} else if v != ConfigAPIVersion {
		return nil, fail(nodeOr(top, "apiVersion", root), "apiVersion must be %s, not %q", ConfigAPIVersion, v)
	}
	if v, err := scalarField(top, "kind", fail); err != nil {
		return nil, err
	} else if v != ConfigKind {
		return nil, fail(nodeOr(top, "kind", root), "kind must be %s, not %q", ConfigKind, v)
	}
	if n := top["defaults"]; n != nil && !kio.IsNull(n) {
		if err := c.parseDefaults(n, fail); err != nil {
			return nil, err
		}
	}
	xs, err := parseList(top["exemptions"], "exemptions", fail, func(it *yaml.Node) (configExemption, error) { return parseExemption(it, fail) })
	if err != nil {
		return nil, err
	}
	c.exemptions = append(c.exemptions, xs...)
	if n := top["objects"]; n != nil && !kio.IsNull(n) {
		items, err := seqField(n, "objects", fail)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			o, err := parseObject(it, fail)
			if err != nil {
				return nil, err
			}
			o.settings.From = fmt.Sprintf("%s:%d: object %s", p, o.line, o.object)
			c.objects = append(c.objects, o)
		}
	}
	if n := top["exclude"]; n != nil && !kio.IsNull(n) {
		globs, err := stringList(n, "exclude", fail)
		if err != nil {
			return nil, err
		}
		c.Exclude = globs
	}
	if c.AdmissionConfig, err = scalarField(top, "admissionConfig", fail); err != nil {
		return nil, err
	}
	if n := top["namespaces"]; n != nil && !kio.IsNull(n) {
		if c.Namespaces, err = stringList(n, "namespaces", fail); err != nil {
			return nil, err
		}
		for i, g := range c.Namespaces {
			if _, err := filepath.Match(g, ""); err != nil {
				return nil, fail(kio.Resolve(n).Content[i], "bad pattern %q in namespaces", g)
			}
		}
	}
	imgs, err := parseList(top["images"], "images", fail, func(it *yaml.Node) (fixers.ImageUID, error) { return parseImage(p, it, fail) })
	if err != nil {
		return nil, err
	}
	c.Images = append(c.Images, imgs...)
	if c.Charts, err = parseList(top["charts"], "charts", fail, func(it *yaml.Node) (ChartEntry, error) { return parseChart(it, fail) }); err != nil {
		return nil, err
	}
	return c, nil
}

type failFunc func(n *yaml.Node, format string, args ...any) error

// fields reads a mapping's keys, rejecting unknown and repeated ones.
func fields(n *yaml.Node, where string, known []string, fail failFunc) (map[string]*yaml.Node, error) {
	n = kio.Resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, fail(n, "%s must be a mapping with %s", where, strings.Join(known, ", "))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			return nil, fail(k, "unknown field %q in %s (known: %s)", k.Value, where, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fail(k, "field %q given twice in %s", k.Value, where)
		}
		out[k.Value] = n.Content[i+1]
	}
	return out, nil
}

func nodeOr(m map[string]*yaml.Node, key string, fallback *yaml.Node) *yaml.Node {
	if n := m[key]; n != nil {
		return n
	}
	return fallback
}

func scalarField(m map[string]*yaml.Node, key string, fail failFunc) (string, error) {
	n := m[key]
	if n == nil || kio.IsNull(n) {
		return "", nil
	}
	n = kio.Resolve(n)
	if n.Kind != yaml.ScalarNode {
		return "", fail(n, "%s must be a single value", key)
	}
	return n.Value, nil
}

// parseList reads the sequence n (the value of key) item by item with parse; an absent or
// null value is an empty list.
func parseList[T any](n *yaml.Node, key string, fail failFunc, parse func(*yaml.Node) (T, error)) ([]T, error) {
	if n == nil || kio.IsNull(n) {
		return nil, nil
	}
	items, err := seqField(n, key, fail)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, it := range items {
		x, err := parse(it)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func seqField(n *yaml.Node, key string, fail failFunc) ([]*yaml.Node, error) {
	n = kio.Resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, fail(n, "%s must be a list", key)
	}
	return n.Content, nil
}

func stringList(n *yaml.Node, key string, fail failFunc) ([]string, error) {
	items, err := seqField(n, key, fail)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		it = kio.Resolve(it)
		if it.Kind != yaml.ScalarNode || it.Value == "" {
			return nil, fail(it, "%s must be a list of strings", key)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

// parseDefaults reads defaults: into a layer of options (see Options), each value
// checked where it is written.
func (c *Config) parseDefaults(n *yaml.Node, fail failFunc) error {
	m, err := fields(n, "defaults", OptionKeys(), fail)
	if err != nil {
		return err
	}
	l := NewLayer(func(o *Option, line int, err error) error {
		if o == nil {
			return &ConfigError{Path: c.Path, Line: line, Msg: "defaults: " + err.Error()}
		}
		return &ConfigError{Path: c.Path, Line: line, Msg: fmt.Sprintf("defaults.%s: %v", o.Key, err)}
	})
	l.Line = n.Line
	for i := range Options {
		o := &Options[i]
		v := m[o.Key]
		if v == nil || kio.IsNull(v) {
			continue
		}
		val := Value{Line: v.Line}
		if o.Kind == Bool {
			b := kio.Resolve(v)
			if b.Kind != yaml.ScalarNode || b.ShortTag() != "!!bool" {
				return fail(v, "defaults.%s must be true or false, not %q", o.Key, b.Value)
			}
			val.Str = strings.ToLower(b.Value)
		} else if o.Kind == List {
			if val.List, err = stringList(v, o.Key, fail); err != nil {
				return err
			}
		} else if val.Str, err = scalarField(m, o.Key, fail); err != nil {
			return err
		}
		// Each value alone first, so that an error points at its line.
		if err := o.validate(val); err != nil {
			return l.fail(o, val.Line, err)
		}
		l.Set(o.Key, val)
	}
	c.Defaults = l
	return l.Check()
}

func fixerIDs() []string {
	var ids []string
	for _, f := range fixers.All {
		ids = append(ids, f.ID)
	}
	return ids
}

// InlinePolicy reads exemptions and images written inline, in a KRM function's PSAFix spec,
// with the schema and checks of .psafix.yaml's; where names the functionConfig in errors
// and in the exemptions' sources. Either node may be nil.
func InlinePolicy(where string, exemptions, images *yaml.Node) (*Config, error) {
	c := &Config{Path: where, Defaults: NewLayer(nil)}
	fail := func(n *yaml.Node, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if n != nil && n.Line > 0 {
			return fmt.Errorf("%s, line %d: %s", where, n.Line, msg)
		}
		return fmt.Errorf("%s: %s", where, msg)
	}
	xs, err := parseList(exemptions, "spec.exemptions", fail, func(it *yaml.Node) (configExemption, error) { return parseExemption(it, fail) })
	if err != nil {
		return nil, err
	}
	c.exemptions = append(c.exemptions, xs...)
	imgs, err := parseList(images, "spec.images", fail, func(it *yaml.Node) (fixers.ImageUID, error) { return parseImage(where, it, fail) })
	if err != nil {
		return nil, err
	}
	c.Images = append(c.Images, imgs...)
	return c, nil
}
