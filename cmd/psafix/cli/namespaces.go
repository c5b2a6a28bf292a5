package cli

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// The Pod Security Admission namespace labels.
const (
	psaPrefix  = "pod-security.kubernetes.io/"
	psaEnforce = psaPrefix + "enforce"
)

// psaModes are PSA's modes, in the order psafix writes their labels.
var psaModes = []string{"enforce", "audit", "warn"}

// nsManifest is a Namespace object of the input.
type nsManifest struct {
	name   string
	path   string
	line   int
	labels map[string]string
}

func (m *nsManifest) where() string { return fmt.Sprintf("%s:%d", m.path, m.line) }

// psaLabels returns the manifest's pod-security.kubernetes.io labels.
func (m *nsManifest) psaLabels() map[string]string {
	out := map[string]string{}
	if m == nil {
		return out
	}
	for k, v := range m.labels {
		if strings.HasPrefix(k, psaPrefix) {
			out[k] = v
		}
	}
	return out
}

// rollout is what psafix learns before the engine runs: the config file and the Namespace
// objects of the input, and from them the level and version of each namespace.
type rollout struct {
	cfg *config
	// manifests are the Namespace objects by name, in input order (a namespace may be
	// written in several files: the first one decides).
	manifests map[string][]*nsManifest
	// stdin is standard input, read once by the pre-pass.
	stdin []byte
	// levelFlag and versionFlag: the command line named them, and they win over labels.
	levelFlag, versionFlag bool
	// base is the target where no label says otherwise, from the flags or the config.
	base fixers.Target
}

// prepare runs between collecting the inputs and fixing them: it reads the config file
// (defaults, exemptions, images), finds the Namespace objects of the inputs, and sets the
// options' hooks so that each workload is fixed for its namespace's level.
func (r *run) prepare(args []string, inputs []input) (*rollout, error) {
	changed := func(name string) bool { return r.flags.fs != nil && r.flags.fs.Changed(name) }
	ro := &rollout{manifests: map[string][]*nsManifest{}, levelFlag: changed("level"), versionFlag: changed("version")}
	cfg, err := configFor(r.flags.config, args)
	if err != nil {
		return nil, err
	}
	ro.cfg = cfg
	if cfg != nil {
		f, d := r.flags, cfg.defaults
		s := fixers.OptionStrings{Level: f.level, Version: f.version, Fixers: f.only, Skip: f.skip, RunAsUser: f.runAsUser, WritablePaths: f.writable}
		if d.level != "" && !changed("level") {
			s.Level = d.level
		}
		if d.version != "" && !changed("version") {
			s.Version = d.version
		}
		if d.runAsUser != "" && !changed("run-as-user") {
			s.RunAsUser = d.runAsUser
		}
		if d.writablePaths != nil && !changed("writable-path") {
			s.WritablePaths = d.writablePaths
		}
		if d.fixers != nil && !changed("fixers") {
			s.Fixers = d.fixers
		}
		if d.skips != nil && !changed("skip") {
			s.Skip = d.skips
		}
		opts, err := fixers.ParseOptions(s)
		if err != nil {
			return nil, usageError{fmt.Errorf("%v (with the defaults of %s)", err, cfg.path)}
		}
		opts.ExemptionFor = cfg.exemptionFor
		opts.Images = cfg.images
		r.opts = opts
	}
	r.opts.DefaultNamespace = r.flags.namespace
	ro.base = fixers.Target{Level: r.opts.Level, Version: r.opts.Version, From: ro.baseFrom()}

	// Standard input first: it is read once, here, and replayed to the fix.
	for _, in := range inputs {
		if in.stdin && in.err == nil {
			data, _ := r.read(in)
			ro.stdin = data
			r.stdin = bytes.NewReader(data)
			break
		}
	}
	// The files on the workers, as the fix does; the manifests kept in input order, as the
	// first manifest of a namespace decides. This pass reads each file a first time, and the
	// fix reads it again: the fix cannot start before every Namespace is known, and keeping
	// the files until then would hold the whole tree in memory.
	process(inputs, r.flags.jobs, func(in input) []*nsManifest {
		var data []byte
		switch {
		case in.err != nil:
			return nil
		case in.stdin:
			data = ro.stdin
		default:
			// The bytes are dropped once scanned: one buffer per worker serves every file.
			buf := scanBuffers.Get().(*[]byte)
			defer scanBuffers.Put(buf)
			snap, err := kio.ReadFileBuffer(in.path, r.flags.maxSize, *buf)
			if err != nil {
				return nil
			}
			data, *buf = snap.Data, snap.Data[:0]
		}
		if !bytes.Contains(data, []byte("Namespace")) {
			return nil
		}
		return scanNamespaces(in.path, data)
	}, nil, func(ms []*nsManifest) {
		for _, m := range ms {
			ro.manifests[m.name] = append(ro.manifests[m.name], m)
		}
	})
	ro.warn(r.stderr)
	if len(ro.manifests) > 0 {
		r.opts.TargetFor = ro.targetFor
	}
	if r.check {
		for _, name := range ro.names() {
			if t := ro.targetFor(name); t.Level == api.LevelPrivileged {
				fmt.Fprintf(r.stderr, "psafix: namespace %s is privileged (%s): its workloads are not checked\n", name, t.From)
			}
		}
	}
	return ro, nil
}

// scanBuffers are the pre-pass's read buffers: yaml.v3 copies what it keeps, so a buffer is
// free again once its file is scanned.
var scanBuffers = sync.Pool{New: func() any { return new([]byte) }}

// baseFrom says where the level and version of namespaces without a label come from.
func (ro *rollout) baseFrom() string {
	src := func(flag bool, fromConfig string) string {
		switch {
		case flag:
			return "command line"
		case ro.cfg != nil && fromConfig != "":
			return ro.cfg.path
		}
		return "default"
	}
	var cl, cv string
	if ro.cfg != nil {
		cl, cv = ro.cfg.defaults.level, ro.cfg.defaults.version
	}
	l, v := src(ro.levelFlag, cl), src(ro.versionFlag, cv)
	if l == v {
		return l
	}
	return "level: " + l + ", version: " + v
}

// names returns the namespaces that have a manifest, sorted.
func (ro *rollout) names() []string {
	var out []string
	for n := range ro.manifests {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// manifest returns the Namespace object that decides a namespace's labels, or nil.
func (ro *rollout) manifest(name string) *nsManifest {
	if l := ro.manifests[name]; len(l) > 0 {
		return l[0]
	}
	return nil
}

// parseLevel reads a PSA level label.
func parseLevel(s string) (api.Level, bool) {
	l, err := api.ParseLevel(s)
	return l, err == nil
}

// parseVersion reads a PSA version label; a version newer than the newest policy psafix
// knows means latest, as it does to an API server older than the label.
func parseVersion(s string) (api.Version, bool) {
	v, err := api.ParseVersion(s)
	if err != nil {
		return v, false
	}
	if newest := fixers.NewestVersion(); !v.Latest() && newest.Older(v) {
		return api.LatestVersion(), true
	}
	return v, true
}

// targetFor is the options' TargetFor hook: a namespace's enforce label (and its
// enforce-version) give the level and version, unless the command line names them. The
// engine calls it from its workers: it only reads.
func (ro *rollout) targetFor(ns string) fixers.Target {
	t := ro.base
	if m := ro.manifest(ns); m != nil {
		if lv, ok := m.labels[psaEnforce]; ok {
			from := fmt.Sprintf("Namespace %s at %s: %s=%s", ns, m.where(), psaEnforce, lv)
			// A privileged namespace is left alone whatever --level says: its label is a
			// decision (node agents, CNI), not a step of the rollout.
			if l, ok := parseLevel(lv); ok && (!ro.levelFlag || l == api.LevelPrivileged) {
				t.Level, t.From = l, from
			}
			if vv, ok := m.labels[psaEnforce+"-version"]; ok && !ro.versionFlag {
				if v, ok := parseVersion(vv); ok {
					t.Version = v
					if t.From != from {
						t.From += fmt.Sprintf("; version from Namespace %s at %s", ns, m.where())
					}
				}
			}
		}
	}
	return t
}

// warn reports labels psafix cannot read and namespaces written twice with different
// levels.
func (ro *rollout) warn(w io.Writer) {
	for _, name := range ro.names() {
		l := ro.manifests[name]
		m := l[0]
		for _, mode := range psaModes {
			if v, ok := m.labels[psaPrefix+mode]; ok {
				if _, ok := parseLevel(v); !ok {
					fmt.Fprintf(w, "%s: Namespace/%s: %s%s=%q is not a level (privileged, baseline or restricted): ignored\n", m.where(), name, psaPrefix, mode, v)
				}
			}
			if v, ok := m.labels[psaPrefix+mode+"-version"]; ok {
				if _, ok := parseVersion(v); !ok {
					fmt.Fprintf(w, "%s: Namespace/%s: %s%s-version=%q is not a version (latest or v1.N): ignored\n", m.where(), name, psaPrefix, mode, v)
				}
			}
		}
		for _, other := range l[1:] {
			if other.labels[psaEnforce] != m.labels[psaEnforce] || other.labels[psaEnforce+"-version"] != m.labels[psaEnforce+"-version"] {
				fmt.Fprintf(w, "%s: Namespace/%s: its enforce labels differ from those at %s, which psafix follows\n", other.where(), name, m.where())
			}
		}
	}
}

// scanNamespaces finds the Namespace objects of a file (documents and List items). A file
// that does not parse has none here; the engine reports it.
func scanNamespaces(path string, data []byte) []*nsManifest {
	var out []*nsManifest
	src := kio.NewSource(data)
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil || d.Root == nil {
			continue
		}
		for _, obj := range namespaceObjects(d.Root) {
			m := &nsManifest{name: scalarPath(obj, "metadata", "name"), path: path, line: obj.Line, labels: map[string]string{}}
			if m.name == "" {
				continue
			}
			if labels := lookupPath(obj, "metadata", "labels"); labels != nil && labels.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(labels.Content); i += 2 {
					if v := kio.Resolve(labels.Content[i+1]); v.Kind == yaml.ScalarNode {
						m.labels[labels.Content[i].Value] = v.Value
					}
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// namespaceObjects returns the mappings of Namespace objects in a document: the root, or
// the items of a List.
func namespaceObjects(n *yaml.Node) []*yaml.Node {
	n = kio.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	kind := scalarPath(n, "kind")
	if kind == "Namespace" && scalarPath(n, "apiVersion") == "v1" {
		return []*yaml.Node{n}
	}
	if strings.HasSuffix(kind, "List") {
		if items := lookupPath(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			var out []*yaml.Node
			for _, it := range items.Content {
				out = append(out, namespaceObjects(it)...)
			}
			return out
		}
	}
	return nil
}

func lookupPath(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil {
			return nil
		}
		_, n = kio.Lookup(kio.Resolve(n), k)
	}
	if n == nil {
		return nil
	}
	return kio.Resolve(n)
}

func scalarPath(n *yaml.Node, path ...string) string {
	v := lookupPath(n, path...)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}
