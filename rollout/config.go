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
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
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
		if !contains(known, k.Value) {
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

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
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

func parseExemption(n *yaml.Node, fail failFunc) (configExemption, error) {
	x := configExemption{line: n.Line}
	m, err := fields(n, "an exemption", exemptionFields, fail)
	if err != nil {
		return x, err
	}
	if x.reason, err = scalarField(m, "reason", fail); err != nil {
		return x, err
	}
	if strings.TrimSpace(x.reason) == "" {
		return x, fail(n, "an exemption needs a reason (reason: why these objects are exempt); it is shown in every report")
	}
	if x.namespace, err = scalarField(m, "namespace", fail); err != nil {
		return x, err
	}
	if x.object, err = scalarField(m, "object", fail); err != nil {
		return x, err
	}
	x.hasNamespace, x.hasO = m["namespace"] != nil, m["object"] != nil
	if x.hasNamespace && x.hasO {
		return x, fail(n, "an exemption names a namespace or an object, not both")
	}
	if x.hasNamespace {
		if _, err := path.Match(x.namespace, ""); err != nil || x.namespace == "" {
			return x, fail(m["namespace"], "bad namespace pattern %q", x.namespace)
		}
	}
	if x.hasO {
		parts := strings.Split(x.object, "/")
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			return x, fail(m["object"], "object must be Kind/namespace/name (e.g. DaemonSet/monitoring/node-exporter), not %q", x.object)
		}
		for _, p := range parts {
			if _, err := path.Match(p, ""); err != nil {
				return x, fail(m["object"], "bad pattern %q in object", p)
			}
		}
		x.kind, x.ns, x.name = parts[0], parts[1], parts[2]
	}
	if f := m["fixers"]; f != nil && !kio.IsNull(f) {
		if x.fixers, err = stringList(f, "fixers", fail); err != nil {
			return x, err
		}
		ids := fixerIDs()
		for i, id := range x.fixers {
			if id == "all" {
				continue
			}
			if !contains(ids, id) {
				return x, fail(kio.Resolve(f).Content[i], "unknown fixer %q (known: all, %s)", id, strings.Join(ids, ", "))
			}
		}
	}
	if !x.hasNamespace && !x.hasO && len(x.fixers) == 0 {
		return x, fail(n, "an exemption needs a namespace, an object or fixers")
	}
	return x, nil
}

func parseObject(n *yaml.Node, fail failFunc) (configObject, error) {
	o := configObject{line: n.Line}
	m, err := fields(n, "an objects: entry", objectFields, fail)
	if err != nil {
		return o, err
	}
	if m["object"] == nil {
		return o, fail(n, "an objects: entry needs object: Kind/namespace/name (globs allowed)")
	}
	if o.object, err = scalarField(m, "object", fail); err != nil {
		return o, err
	}
	parts := strings.Split(o.object, "/")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return o, fail(m["object"], "object must be Kind/namespace/name (e.g. Deployment/shop/web), not %q", o.object)
	}
	for _, p := range parts {
		if _, err := path.Match(p, ""); err != nil {
			return o, fail(m["object"], "bad pattern %q in object", p)
		}
	}
	o.kind, o.ns, o.name = parts[0], parts[1], parts[2]
	if u := m["runAsUser"]; u != nil && !kio.IsNull(u) {
		v, err := scalarField(m, "runAsUser", fail)
		if err != nil {
			return o, err
		}
		o.settings.SetRunAsUser = true
		if v != "none" {
			uid, err := strconv.ParseInt(v, 10, 64)
			if err != nil || uid <= 0 || uid > 2147483647 {
				return o, fail(u, "runAsUser must be a non-zero UID or none, not %q", v)
			}
			o.settings.RunAsUser = &uid
		}
	}
	if w := m["writablePaths"]; w != nil && !kio.IsNull(w) {
		if o.settings.WritablePaths, err = stringList(w, "writablePaths", fail); err != nil {
			return o, err
		}
		if o.settings.WritablePaths == nil {
			o.settings.WritablePaths = []string{}
		}
		for i, p := range o.settings.WritablePaths {
			if err := fixers.CheckWritablePath(p); err != nil {
				return o, fail(kio.Resolve(w).Content[i], "%v", err)
			}
		}
	}
	if !o.settings.SetRunAsUser && o.settings.WritablePaths == nil {
		return o, fail(n, "an objects: entry sets runAsUser, writablePaths or both")
	}
	return o, nil
}

// SettingsFor is the hook the engine calls (fixers.Options.SettingsFor): the settings of
// the first objects: entry that matches the object.
func (c *Config) SettingsFor(kind, namespace, name string) *fixers.ObjectSettings {
	for i := range c.objects {
		o := &c.objects[i]
		if globMatch(o.kind, kind) && globMatch(o.ns, namespace) && globMatch(o.name, name) {
			return &o.settings
		}
	}
	return nil
}

// ObjectWritablePaths are every path the objects: entries name.
func (c *Config) ObjectWritablePaths() []string {
	var out []string
	for _, o := range c.objects {
		for _, p := range o.settings.WritablePaths {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// SetOptions gives the engine's options the config's hooks and tables: exemptions,
// objects: settings and images.
func (c *Config) SetOptions(o *fixers.Options) {
	o.ExemptionFor = c.ExemptionFor
	o.Images = c.Images
	if len(c.objects) > 0 {
		o.SettingsFor = c.SettingsFor
		o.ObjectWritablePaths = c.ObjectWritablePaths()
	}
}

func parseImage(p string, n *yaml.Node, fail failFunc) (fixers.ImageUID, error) {
	m, err := fields(n, "an image", imageFields, fail)
	if err != nil {
		return fixers.ImageUID{}, err
	}
	img := fixers.ImageUID{}
	if img.Pattern, err = scalarField(m, "pattern", fail); err != nil {
		return img, err
	}
	if img.Pattern == "" {
		return img, fail(n, "an image needs a pattern (registry/path, * and ? allowed, optional :tag)")
	}
	pat, tag, _ := strings.Cut(img.Pattern, ":")
	if _, err := path.Match(pat, ""); err != nil {
		return img, fail(m["pattern"], "bad image pattern %q", img.Pattern)
	}
	if _, err := path.Match(tag, ""); err != nil {
		return img, fail(m["pattern"], "bad image pattern %q", img.Pattern)
	}
	id := func(key string) (int64, bool, error) {
		v := m[key]
		if v == nil || kio.IsNull(v) {
			return 0, false, nil
		}
		x, err := strconv.ParseInt(kio.Resolve(v).Value, 10, 64)
		if err != nil || x < 0 || x > 2147483647 {
			return 0, false, fail(v, "%s must be a number from 0 to 2147483647, not %q", key, kio.Resolve(v).Value)
		}
		return x, true, nil
	}
	uid, hasUID, err := id("uid")
	if err != nil {
		return img, err
	}
	// uid: 0 is how older config files say the image needs root.
	img.UID, img.NeedsRoot = uid, hasUID && uid == 0
	if img.GID, _, err = id("gid"); err != nil {
		return img, err
	}
	if v := m["needsRoot"]; v != nil && !kio.IsNull(v) {
		r := kio.Resolve(v)
		b, ok := false, false
		if r.Kind == yaml.ScalarNode {
			b, ok = kio.ParseBool(r)
		}
		if !ok {
			return img, fail(v, "needsRoot must be true or false, not %q", r.Value)
		}
		if !b && hasUID && uid == 0 {
			return img, fail(v, "needsRoot: false contradicts uid: 0 (which means the image needs root)")
		}
		img.NeedsRoot = img.NeedsRoot || b
	}
	if v := m["writablePaths"]; v != nil && !kio.IsNull(v) {
		l, err := stringList(v, "writablePaths", fail)
		if err != nil {
			return img, err
		}
		img.WritablePaths = []string{}
		for _, wp := range l {
			if !strings.HasPrefix(wp, "/") {
				return img, fail(v, "writablePaths: a path must be absolute, not %q", wp)
			}
			img.WritablePaths = append(img.WritablePaths, wp)
		}
	}
	if !hasUID && !img.NeedsRoot && img.WritablePaths == nil && img.GID == 0 {
		return img, fail(n, "an image needs a uid (the user it is built for), needsRoot: true or writablePaths")
	}
	reason, err := scalarField(m, "reason", fail)
	if err != nil {
		return img, err
	}
	img.Source = fmt.Sprintf("%s:%d", p, n.Line)
	if reason != "" {
		img.Source = reason + " (" + img.Source + ")"
	}
	return img, nil
}

// ExemptionFor is the hook the engine calls (fixers.Options.ExemptionFor): the first
// exemption that matches the object.
func (c *Config) ExemptionFor(kind, namespace, name string) *fixers.Exemption {
	for _, x := range c.exemptions {
		match := true
		switch {
		case x.hasNamespace:
			match = globMatch(x.namespace, namespace)
		case x.hasO:
			match = globMatch(x.kind, kind) && globMatch(x.ns, namespace) && globMatch(x.name, name)
		}
		if !match {
			continue
		}
		from := fmt.Sprintf("%s:%d", c.Path, x.line)
		switch {
		case x.hasNamespace:
			from += ": namespace " + x.namespace
		case x.hasO:
			from += ": object " + x.object
		}
		var ids []string
		for _, id := range x.fixers {
			if id == "all" {
				ids = nil
				break
			}
			ids = append(ids, id)
		}
		return &fixers.Exemption{Fixers: ids, Reason: x.reason, From: from}
	}
	return nil
}

func globMatch(pattern, s string) bool {
	ok, _ := path.Match(pattern, s)
	return ok
}

// FindConfig looks for .psafix.yaml in start's folder and its parents, up to the root of
// the repository (a folder with .git) or of the file system.
func FindConfig(start string) string {
	dir, err := filepath.Abs(start)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		p := filepath.Join(dir, ConfigName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ConfigFor finds the config of a run for what is read once per run rather than per file
// (excludes, the image lock): explicit (--config), or the first file found upward from
// the paths in order (standard input, "-": from the current folder). It returns nil, nil
// when there is no config file. Each file is fixed with its own config: see Configs.
func ConfigFor(explicit string, args []string) (*Config, error) {
	all, err := ConfigsFor(explicit, args)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// ConfigsFor are the distinct configs found upward from the paths, in the order of the
// paths (only the explicit one with --config).
func ConfigsFor(explicit string, args []string) ([]*Config, error) {
	cs, err := NewConfigs(explicit)
	if err != nil {
		return nil, err
	}
	var out []*Config
	for _, a := range args {
		c, err := cs.For(a)
		if err != nil {
			return nil, err
		}
		if c != nil && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Configs finds the config of each file: the nearest .psafix.yaml upward from the file to
// the repository root (FindConfig), the same whatever path named the file; or the explicit
// one (--config) for every file. Each folder is looked up once and each config loaded once.
// A monorepo run over files under two configs fixes each file with its own.
type Configs struct {
	explicit *Config
	dirs     map[string]string
	loaded   map[string]*Config
}

// NewConfigs starts the lookup; explicit is --config, or "".
func NewConfigs(explicit string) (*Configs, error) {
	cs := &Configs{dirs: map[string]string{}, loaded: map[string]*Config{}}
	if explicit != "" {
		c, err := LoadConfig(explicit)
		if err != nil {
			return nil, err
		}
		cs.explicit = c
	}
	return cs, nil
}

// For is the config of the file or folder p ("-", standard input: the current folder's),
// or nil when there is none.
func (cs *Configs) For(p string) (*Config, error) {
	if cs.explicit != nil {
		return cs.explicit, nil
	}
	if p == "-" {
		p = "."
	}
	dir, err := filepath.Abs(p)
	if err != nil {
		return nil, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	return cs.inDir(dir)
}

// ForFile is For of a path known to be a file (found in a walk): no stat.
func (cs *Configs) ForFile(p string) (*Config, error) {
	if cs.explicit != nil {
		return cs.explicit, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, nil
	}
	return cs.inDir(filepath.Dir(abs))
}

func (cs *Configs) inDir(dir string) (*Config, error) {
	found, ok := cs.dirs[dir]
	if !ok {
		found = FindConfig(dir)
		cs.dirs[dir] = found
	}
	if found == "" {
		return nil, nil
	}
	if c, ok := cs.loaded[found]; ok {
		return c, nil
	}
	c, err := LoadConfig(rel(found))
	if err != nil {
		return nil, err
	}
	cs.loaded[found] = c
	return c, nil
}

// NamespaceFiles are the files the config's namespaces: names, relative to the current
// folder when below it: each entry is a file, a folder (its *.yaml, *.yml and *.json files)
// or a glob, relative to the config file's folder. An entry that matches nothing is an
// error, as a typo would leave every namespace without its labels.
func (c *Config) NamespaceFiles() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p = rel(p); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	dir := filepath.Dir(c.Path)
	for _, g := range c.Namespaces {
		pat := g
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(dir, pat)
		}
		matches, _ := filepath.Glob(pat)
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: namespaces: %q matches no file", c.Path, g)
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("%s: namespaces: %s: %v", c.Path, m, errMsg(err))
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				switch strings.ToLower(filepath.Ext(p)) {
				case ".yaml", ".yml", ".json":
					if d.Name() != ConfigName {
						add(p)
					}
				}
				return nil
			})
		}
	}
	return out, nil
}

// rel shows a path relative to the current folder when it is below it.
func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// errMsg is an error without the path an fs.PathError repeats.
func errMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
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
