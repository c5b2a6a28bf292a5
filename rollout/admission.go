package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/pod-security-admission/admission/api/load"
	"k8s.io/pod-security-admission/admission/api/validation"
	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// AdmissionConfig is the API server's PodSecurity admission configuration (the file its
// --admission-control-config-file names): the policy of namespaces without labels, and
// the namespaces, runtime classes and users PSA never checks. It is read with PSA's own
// loader, so that psafix accepts exactly what the API server accepts.
type AdmissionConfig struct {
	// Path is the file; Line the line of the PodSecurityConfiguration in it.
	Path string
	Line int
	// Defaults is the policy of namespaces without labels, as PSA defaults it (a mode the
	// file leaves out is privileged, a version latest).
	Defaults api.Policy
	// EnforceSet and EnforceVersionSet say whether the file sets defaults.enforce and
	// defaults.enforce-version itself; only those take part in psafix's order (flags,
	// labels, these, .psafix.yaml, restricted latest).
	EnforceSet, EnforceVersionSet         bool
	Namespaces, RuntimeClasses, Usernames []string
}

// The API groups of the files psafix reads.
var (
	admissionConfigAPIs = []string{"apiserver.config.k8s.io/v1", "apiserver.config.k8s.io/v1alpha1", "apiserver.k8s.io/v1alpha1"}
	podSecurityAPIs     = []string{"pod-security.admission.config.k8s.io/v1", "pod-security.admission.config.k8s.io/v1beta1", "pod-security.admission.config.k8s.io/v1alpha1"}
)

// LoadAdmissionConfig reads an admission config file: an AdmissionConfiguration whose
// PodSecurity plugin carries its configuration inline or names a file (relative to the
// admission config, as the API server reads it), or a bare PodSecurityConfiguration.
func LoadAdmissionConfig(p string) (*AdmissionConfig, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, admissionError(p, 0, "cannot read the admission config: %v", errText(err))
	}
	return ParseAdmissionConfig(p, data, 0)
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func admissionError(p string, line int, format string, args ...any) error {
	return &kio.Error{Path: p, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// ParseAdmissionConfig parses an admission config file's bytes; depth counts the files
// followed through a plugin's path.
func ParseAdmissionConfig(p string, data []byte, depth int) (*AdmissionConfig, error) {
	_, docs, err := kio.ParseFile(p, data)
	if err != nil {
		return nil, err
	}
	root, second := kio.OneRoot(docs)
	if second != nil {
		return nil, admissionError(p, second.Line, "an admission config holds one document")
	}
	if root == nil {
		return nil, admissionError(p, 0, "empty admission config (an AdmissionConfiguration or a PodSecurityConfiguration)")
	}
	root = kio.Resolve(root)
	if root.Kind != yaml.MappingNode {
		return nil, admissionError(p, root.Line, "an admission config is a mapping (an AdmissionConfiguration or a PodSecurityConfiguration)")
	}
	apiVersion, kind := kio.ScalarAt(root, "apiVersion"), kio.ScalarAt(root, "kind")
	switch {
	case kind == "AdmissionConfiguration" && slices.Contains(admissionConfigAPIs, apiVersion):
		return podSecurityPlugin(p, root, depth)
	case kind == "PodSecurityConfiguration" && slices.Contains(podSecurityAPIs, apiVersion):
		return podSecurityConfig(p, root)
	}
	return nil, admissionError(p, root.Line, "kind %q, apiVersion %q: not an admission config (AdmissionConfiguration of %s, or PodSecurityConfiguration of %s)",
		kind, apiVersion, strings.Join(admissionConfigAPIs, ", "), strings.Join(podSecurityAPIs, ", "))
}

// InlineAdmissionConfig reads an admission config written inline (a KRM function's
// PSAFix spec.admissionConfig): an AdmissionConfiguration whose PodSecurity plugin carries
// its configuration, or a PodSecurityConfiguration; where names it in errors.
func InlineAdmissionConfig(where string, n *yaml.Node) (*AdmissionConfig, error) {
	root := kio.Resolve(n)
	if root.Kind != yaml.MappingNode {
		return nil, admissionError(where, root.Line, "admissionConfig must be an AdmissionConfiguration or a PodSecurityConfiguration object")
	}
	apiVersion, kind := kio.ScalarAt(root, "apiVersion"), kio.ScalarAt(root, "kind")
	switch {
	case kind == "AdmissionConfiguration" && slices.Contains(admissionConfigAPIs, apiVersion):
		return podSecurityPlugin(where, root, -1)
	case kind == "PodSecurityConfiguration" && slices.Contains(podSecurityAPIs, apiVersion):
		return podSecurityConfig(where, root)
	}
	return nil, admissionError(where, root.Line, "kind %q, apiVersion %q: not an admission config (AdmissionConfiguration of %s, or PodSecurityConfiguration of %s)",
		kind, apiVersion, strings.Join(admissionConfigAPIs, ", "), strings.Join(podSecurityAPIs, ", "))
}

// podSecurityPlugin finds the PodSecurity plugin of an AdmissionConfiguration; depth -1
// is an inline configuration, which cannot name a file.
func podSecurityPlugin(p string, root *yaml.Node, depth int) (*AdmissionConfig, error) {
	plugins := kio.LookupPath(root, "plugins")
	if plugins == nil || plugins.Kind != yaml.SequenceNode {
		return nil, admissionError(p, root.Line, "an AdmissionConfiguration without plugins: no PodSecurity configuration")
	}
	for _, pl := range plugins.Content {
		pl = kio.Resolve(pl)
		if pl.Kind != yaml.MappingNode || kio.ScalarAt(pl, "name") != "PodSecurity" {
			continue
		}
		if c := kio.LookupPath(pl, "configuration"); c != nil && !kio.IsNull(c) {
			if c.Kind != yaml.MappingNode {
				return nil, admissionError(p, c.Line, "the PodSecurity plugin's configuration must be a PodSecurityConfiguration")
			}
			return podSecurityConfig(p, c)
		}
		if ref := kio.ScalarAt(pl, "path"); ref != "" {
			if depth < 0 {
				return nil, admissionError(p, pl.Line, "an inline admission config carries the PodSecurity plugin's configuration, not a path")
			}
			if depth > 0 {
				return nil, admissionError(p, pl.Line, "the PodSecurity plugin's path leads to another AdmissionConfiguration")
			}
			if !filepath.IsAbs(ref) {
				ref = filepath.Join(filepath.Dir(p), ref)
			}
			data, err := os.ReadFile(ref)
			if err != nil {
				return nil, admissionError(p, pl.Line, "the PodSecurity plugin's path %s: %v", ref, errText(err))
			}
			return ParseAdmissionConfig(ref, data, depth+1)
		}
		// No configuration at all: PSA's defaults (privileged everywhere).
		return podSecurityConfig(p, nil)
	}
	return nil, admissionError(p, plugins.Line, "no plugin named PodSecurity in this AdmissionConfiguration")
}

// podSecurityConfig decodes a PodSecurityConfiguration with PSA's loader (strict: an
// unknown field is an error, as for the API server) and validates it with PSA's code.
func podSecurityConfig(p string, n *yaml.Node) (*AdmissionConfig, error) {
	c := &AdmissionConfig{Path: p}
	var data []byte
	if n != nil {
		c.Line = n.Line
		v, err := kio.ToValue(n)
		if err != nil {
			return nil, admissionError(p, n.Line, "%v", err)
		}
		if data, err = json.Marshal(v); err != nil {
			return nil, admissionError(p, n.Line, "%v", err)
		}
		if d := kio.LookupPath(n, "defaults"); d != nil && d.Kind == yaml.MappingNode {
			c.EnforceSet = kio.LookupPath(d, "enforce") != nil
			c.EnforceVersionSet = kio.LookupPath(d, "enforce-version") != nil
		}
	}
	cfg, err := load.LoadFromData(data)
	if err != nil {
		return nil, admissionError(p, c.Line, "not a valid PodSecurityConfiguration: %v", err)
	}
	if errs := validation.ValidatePodSecurityConfiguration(cfg); len(errs) > 0 {
		return nil, admissionError(p, c.Line, "not a valid PodSecurityConfiguration: %v", errs.ToAggregate())
	}
	if c.Defaults, err = toPolicy(cfg.Defaults.Enforce, cfg.Defaults.EnforceVersion, cfg.Defaults.Audit, cfg.Defaults.AuditVersion, cfg.Defaults.Warn, cfg.Defaults.WarnVersion); err != nil {
		return nil, admissionError(p, c.Line, "not a valid PodSecurityConfiguration: %v", err)
	}
	c.Namespaces = cfg.Exemptions.Namespaces
	c.RuntimeClasses = cfg.Exemptions.RuntimeClasses
	c.Usernames = cfg.Exemptions.Usernames
	return c, nil
}

func toPolicy(enforce, enforceVersion, audit, auditVersion, warn, warnVersion string) (api.Policy, error) {
	var p api.Policy
	var err error
	for _, x := range []struct {
		lv   *api.LevelVersion
		l, v string
	}{{&p.Enforce, enforce, enforceVersion}, {&p.Audit, audit, auditVersion}, {&p.Warn, warn, warnVersion}} {
		if x.lv.Level, err = api.ParseLevel(x.l); err != nil {
			return p, err
		}
		if x.lv.Version, err = api.ParseVersion(x.v); err != nil {
			return p, err
		}
	}
	return p, nil
}

// ExemptNamespace reports whether PSA never checks pods in the namespace.
func (c *AdmissionConfig) ExemptNamespace(ns string) bool {
	return c != nil && slices.Contains(c.Namespaces, ns)
}

// ExemptRuntimeClass reports whether PSA never checks pods of the runtime class.
func (c *AdmissionConfig) ExemptRuntimeClass(rc string) bool {
	return c != nil && rc != "" && slices.Contains(c.RuntimeClasses, rc)
}

// Where names the configuration for messages: PATH:LINE.
func (c *AdmissionConfig) Where() string {
	if c.Line > 0 {
		return fmt.Sprintf("%s:%d", c.Path, c.Line)
	}
	return c.Path
}

// Warnings are what a user must know about the configuration: exempt usernames exempt
// every pod those identities create, which the Kubernetes documentation calls dangerous
// for controller identities.
func (c *AdmissionConfig) Warnings() []string {
	var out []string
	for _, u := range c.Usernames {
		msg := fmt.Sprintf("%s: exempts the user %q: PSA does not check the pods it creates", c.Where(), u)
		if strings.HasPrefix(u, "system:serviceaccount:") || strings.HasPrefix(u, "system:") {
			msg += " (a controller identity: every pod its controller creates, in any namespace, is exempt; the Kubernetes documentation calls this dangerous)"
		}
		out = append(out, msg)
	}
	return out
}
