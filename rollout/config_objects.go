// What .psafix.yaml says of objects: exemptions (fixers kept away) and objects: entries
// (settings per object), parsed, and the hooks the engine calls to read them.

package rollout

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

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
		if x.kind, x.ns, x.name, err = objectPattern(m["object"], x.object, "DaemonSet/monitoring/node-exporter", fail); err != nil {
			return x, err
		}
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
			if !slices.Contains(ids, id) {
				return x, fail(kio.Resolve(f).Content[i], "unknown fixer %q (known: all, %s)", id, strings.Join(ids, ", "))
			}
		}
	}
	if !x.hasNamespace && !x.hasO && len(x.fixers) == 0 {
		return x, fail(n, "an exemption needs a namespace, an object or fixers")
	}
	return x, nil
}

// objectPattern splits an object: pattern, Kind/namespace/name with globs, at node n;
// example is what the message shows.
func objectPattern(n *yaml.Node, s, example string, fail failFunc) (kind, ns, name string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return "", "", "", fail(n, "object must be Kind/namespace/name (e.g. %s), not %q", example, s)
	}
	for _, p := range parts {
		if _, err := path.Match(p, ""); err != nil {
			return "", "", "", fail(n, "bad pattern %q in object", p)
		}
	}
	return parts[0], parts[1], parts[2], nil
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
	if o.kind, o.ns, o.name, err = objectPattern(m["object"], o.object, "Deployment/shop/web", fail); err != nil {
		return o, err
	}
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
