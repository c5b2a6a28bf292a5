package rollout

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// The Pod Security Admission namespace labels.
const (
	// LabelPrefix starts every pod-security label.
	LabelPrefix = "pod-security.kubernetes.io/"
	// EnforceLabel is the label whose level the API server enforces.
	EnforceLabel = LabelPrefix + "enforce"
)

// Modes are PSA's modes, in the order psafix writes their labels.
var Modes = []string{"enforce", "audit", "warn"}

// Manifest is a Namespace object of the input.
type Manifest struct {
	Name   string
	Path   string
	Line   int
	Labels map[string]string
}

// Where is PATH:LINE of the manifest.
func (m *Manifest) Where() string { return fmt.Sprintf("%s:%d", m.Path, m.Line) }

// PSALabels returns the manifest's pod-security.kubernetes.io labels (none for nil).
func (m *Manifest) PSALabels() map[string]string {
	out := map[string]string{}
	if m == nil {
		return out
	}
	for k, v := range m.Labels {
		if strings.HasPrefix(k, LabelPrefix) {
			out[k] = v
		}
	}
	return out
}

// Targets is what psafix learns before the engine runs: the config file and the Namespace
// objects of the input, and from them the level and version of each namespace.
type Targets struct {
	// Config is the config file of the run, or nil.
	Config *Config
	// manifests are the Namespace objects by name, in input order (a namespace may be
	// written in several files: the first one decides).
	manifests map[string][]*Manifest
	// LevelFlag and VersionFlag: the command line named them, and they win over labels.
	LevelFlag, VersionFlag bool
	// Base is the target where no label says otherwise, from the flags or the config.
	Base fixers.Target
	// Cluster is the cluster's Kubernetes version (--cluster-version), when ClusterKnown: on
	// the cluster, latest (and any newer version) means it.
	Cluster      api.Version
	ClusterKnown bool
	// Admission is the API server's admission config (--admission-config), or nil.
	Admission *AdmissionConfig
	// Selection are the namespaces the run acts on (--namespace NAME,...), as kubectl get
	// -n selects from a list; empty selects every namespace.
	Selection []string
}

// NoClusterNote says, when no cluster version is known, what the labels' pin means ("" when
// one is).
func (ro *Targets) NoClusterNote() string {
	if ro.ClusterKnown {
		return ""
	}
	return fmt.Sprintf("no cluster version known (--cluster-version v1.N, or defaults.clusterVersion in %s): labels pin %s, the newest policy this psafix knows; a cluster older than that reads the pin as its own latest, so it does not hold across the cluster's next upgrade",
		ConfigName, fixers.NewestVersion())
}

// Selected reports whether the run acts on a namespace.
func (ro *Targets) Selected(ns string) bool {
	return len(ro.Selection) == 0 || slices.Contains(ro.Selection, ns)
}

// Active reports whether TargetFor says more than Base: there are Namespace manifests or a
// selection.
func (ro *Targets) Active() bool {
	return len(ro.manifests) > 0 || len(ro.Selection) > 0 || ro.Admission != nil || ro.ClusterKnown
}

// ExemptRuntimeClass is the options' ExemptRuntimeClass hook: where a runtime class is
// exempt, or "".
func (ro *Targets) ExemptRuntimeClass(rc string) string {
	if !ro.Admission.ExemptRuntimeClass(rc) {
		return ""
	}
	return fmt.Sprintf("exempt: the admission config %s exempts runtime class %s", ro.Admission.Where(), rc)
}

// outside is the target of a workload outside the selection: left alone and not reported.
var outside = fixers.Target{Level: api.LevelPrivileged, Version: api.LatestVersion(), From: "outside --namespace", Outside: true}

// NewTargets starts the targets of a run with its config file (nil for none) and whether
// the command line named the level and the version. Set Base once the options are known
// (its From from BaseFrom), then Add the Namespace manifests in input order.
func NewTargets(cfg *Config, levelFlag, versionFlag bool) *Targets {
	return &Targets{Config: cfg, manifests: map[string][]*Manifest{}, LevelFlag: levelFlag, VersionFlag: versionFlag}
}

// Add records Namespace manifests, in input order.
func (ro *Targets) Add(ms []*Manifest) {
	for _, m := range ms {
		ro.manifests[m.Name] = append(ro.manifests[m.Name], m)
	}
}

// Empty reports whether no Namespace manifest was added.
func (ro *Targets) Empty() bool { return len(ro.manifests) == 0 }

// BaseFrom says where the level and version of namespaces without a label come from.
func (ro *Targets) BaseFrom() string {
	src := func(flag bool, fromConfig string) string {
		switch {
		case flag:
			return "command line"
		case ro.Config != nil && fromConfig != "":
			return ro.Config.Path
		}
		return "default"
	}
	var cl, cv string
	if ro.Config != nil {
		cl, cv = ro.Config.Defaults.Values["level"].Str, ro.Config.Defaults.Values["version"].Str
	}
	l, v := src(ro.LevelFlag, cl), src(ro.VersionFlag, cv)
	if l == v {
		return l
	}
	return "level: " + l + ", version: " + v
}

// Names returns the namespaces that have a manifest, sorted.
func (ro *Targets) Names() []string {
	var out []string
	for n := range ro.manifests {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Manifest returns the Namespace object that decides a namespace's labels, or nil.
func (ro *Targets) Manifest(name string) *Manifest {
	if l := ro.manifests[name]; len(l) > 0 {
		return l[0]
	}
	return nil
}

// ParseLevel reads a PSA level label.
func ParseLevel(s string) (api.Level, bool) {
	l, err := api.ParseLevel(s)
	return l, err == nil
}

// ParseVersion reads a PSA version label; a version newer than the newest policy psafix
// knows means latest, as it does to an API server older than the label.
func ParseVersion(s string) (api.Version, bool) {
	v, err := api.ParseVersion(s)
	if err != nil {
		return v, false
	}
	if newest := fixers.NewestVersion(); !v.Latest() && newest.Older(v) {
		return api.LatestVersion(), true
	}
	return v, true
}

// TargetFor is the options' TargetFor hook: the level and version a namespace's workloads
// are fixed for, in the order PSA applies them, per mode and per version: the command line
// (--level, --version), then the namespace's enforce and enforce-version labels (read with
// PSA's PolicyToEvaluate: a label that does not parse fails closed, to restricted and latest,
// as in the API server), then the admission config's defaults, then .psafix.yaml's defaults,
// then restricted and latest. A namespace the admission config exempts is left alone, as is
// one labelled privileged whatever --level says. The engine calls it from its workers: it
// only reads.
func (ro *Targets) TargetFor(ns string) fixers.Target {
	if !ro.Selected(ns) {
		return outside
	}
	a := ro.Admission
	if a.ExemptNamespace(ns) {
		return fixers.Target{Level: api.LevelPrivileged, Version: api.LatestVersion(), Exempt: true,
			From: fmt.Sprintf("exempt: the admission config %s exempts namespace %s", a.Where(), ns)}
	}
	t := ro.Base
	if a != nil {
		levelFrom, versionFrom := t.From, t.From
		if a.EnforceSet && !ro.LevelFlag {
			t.Level = a.Defaults.Enforce.Level
			levelFrom = fmt.Sprintf("admission config %s: defaults.enforce=%s", a.Where(), t.Level)
		}
		if a.EnforceVersionSet && !ro.VersionFlag {
			t.Version = a.Defaults.Enforce.Version
			versionFrom = fmt.Sprintf("admission config %s: defaults.enforce-version=%s", a.Where(), t.Version)
		}
		switch {
		case a.EnforceSet && a.EnforceVersionSet && !ro.LevelFlag && !ro.VersionFlag:
			t.From = fmt.Sprintf("admission config %s: defaults.enforce=%s, enforce-version=%s", a.Where(), t.Level, t.Version)
		case levelFrom == versionFrom:
			t.From = levelFrom
		default:
			t.From = "level: " + levelFrom + "; version: " + versionFrom
		}
	}
	m := ro.Manifest(ns)
	if m == nil {
		return ro.OnCluster(t)
	}
	lv, hasLevel := m.Labels[EnforceLabel]
	_, hasVersion := m.Labels[EnforceLabel+"-version"]
	if !hasLevel && !hasVersion {
		return ro.OnCluster(t)
	}
	p, _ := api.PolicyToEvaluate(m.Labels, api.Policy{Enforce: api.LevelVersion{Level: t.Level, Version: t.Version}})
	from := fmt.Sprintf("Namespace %s at %s: %s=%s", ns, m.Where(), EnforceLabel, lv)
	// A privileged namespace is left alone whatever --level says: its label is a decision
	// (node agents, CNI), not a step of the rollout.
	if hasLevel && (!ro.LevelFlag || p.Enforce.Level == api.LevelPrivileged) {
		t.Level, t.From = p.Enforce.Level, from
	}
	if hasVersion && !ro.VersionFlag {
		t.Version = p.Enforce.Version
		if newest := fixers.NewestVersion(); !t.Version.Latest() && newest.Older(t.Version) {
			t.Version = api.LatestVersion() // newer than psafix knows: its latest, as for an older API server
		}
		if t.From != from {
			t.From += fmt.Sprintf("; version from Namespace %s at %s", ns, m.Where())
		}
	}
	return ro.OnCluster(t)
}

// OnCluster is a target as the cluster reads it: latest, or a version newer than the
// cluster's, is the cluster's own version when it is known.
func (ro *Targets) OnCluster(t fixers.Target) fixers.Target {
	if ro.ClusterKnown && t.Level != api.LevelPrivileged && (t.Version.Latest() || ro.Cluster.Older(t.Version)) {
		t.Version = ro.Cluster
	}
	return t
}

// ParseClusterVersion reads a cluster's version: v1.N (a patch version, v1.N.P, is
// accepted and dropped, as kubectl version prints it).
func ParseClusterVersion(s string) (api.Version, error) {
	v := s
	if parts := strings.Split(strings.TrimPrefix(v, "v"), "."); len(parts) == 3 {
		v = "v" + parts[0] + "." + parts[1]
	}
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	parsed, err := api.ParseVersion(v)
	if err != nil || parsed.Latest() {
		return api.Version{}, fmt.Errorf("cluster version must be v1.N (the cluster's Kubernetes version, as kubectl version prints it), not %q", s)
	}
	return parsed, nil
}

// Warn reports labels psafix cannot read and namespaces written twice with different
// levels.
func (ro *Targets) Warn(w io.Writer) {
	for _, name := range ro.Names() {
		l := ro.manifests[name]
		m := l[0]
		for _, mode := range Modes {
			if v, ok := m.Labels[LabelPrefix+mode]; ok {
				if _, ok := ParseLevel(v); !ok {
					fmt.Fprintf(w, "%s: Namespace/%s: %s%s=%q is not a level (privileged, baseline or restricted): PSA reads it as restricted\n", m.Where(), name, LabelPrefix, mode, v)
				}
			}
			if v, ok := m.Labels[LabelPrefix+mode+"-version"]; ok {
				if _, ok := ParseVersion(v); !ok {
					fmt.Fprintf(w, "%s: Namespace/%s: %s%s-version=%q is not a version (latest or v1.N): PSA reads it as latest\n", m.Where(), name, LabelPrefix, mode, v)
				}
			}
		}
		for _, other := range l[1:] {
			if other.Labels[EnforceLabel] != m.Labels[EnforceLabel] || other.Labels[EnforceLabel+"-version"] != m.Labels[EnforceLabel+"-version"] {
				fmt.Fprintf(w, "%s: Namespace/%s: its enforce labels differ from those at %s, which psafix follows\n", other.Where(), name, m.Where())
			}
		}
	}
}

// ScanNamespaces finds the Namespace objects of a file (documents and List items). A file
// that does not parse has none here; the engine reports it.
func ScanNamespaces(path string, data []byte) []*Manifest {
	var out []*Manifest
	for d := range kio.Documents(data) {
		out = append(out, NamespacesIn(path, d.Root)...)
	}
	return out
}

// NamespacesIn finds the Namespace objects of a parsed document (the root, or the items of
// a List), each at the line its node has.
func NamespacesIn(path string, root *yaml.Node) []*Manifest {
	var out []*Manifest
	for _, obj := range NamespaceObjects(root) {
		m := &Manifest{Name: kio.ScalarAt(obj, "metadata", "name"), Path: path, Line: obj.Line, Labels: map[string]string{}}
		if m.Name == "" {
			continue
		}
		if labels := kio.LookupPath(obj, "metadata", "labels"); labels != nil && labels.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(labels.Content); i += 2 {
				if v := kio.Resolve(labels.Content[i+1]); v.Kind == yaml.ScalarNode {
					m.Labels[labels.Content[i].Value] = v.Value
				}
			}
		}
		out = append(out, m)
	}
	return out
}

// NamespaceObjects returns the mappings of Namespace objects in a document: the root, or
// the items of a List.
func NamespaceObjects(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for _, obj := range kio.Objects(n) {
		if kio.ScalarAt(obj, "kind") == "Namespace" && kio.ScalarAt(obj, "apiVersion") == "v1" {
			out = append(out, obj)
		}
	}
	return out
}
