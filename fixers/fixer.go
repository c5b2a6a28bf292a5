package fixers

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// A Fixer answers one kind of Pod Security Standards violation. It decides on the typed pod
// spec and records its changes through the pod's editor; it never writes bytes itself.
type Fixer struct {
	// ID is stable and kebab-case; users name it in --fixers and --skip.
	ID string
	// Checks are the PSA checks the fixer answers. The fixer runs for a pod only when one
	// of them fails at the target level and version; a fixer with no checks (read-only-root,
	// which no level requires) always runs.
	Checks []policy.CheckID
	// Doc says in one line what the fixer changes.
	Doc string
	// Default is whether the fixer runs when --fixers is not given.
	Default bool
	// Fix records the changes for one pod.
	Fix func(p *Pod)
	// Owns are the fields and annotations the fixer may change. The verification sets them
	// aside when it compares a fixed document with the original, and refuses a fix that
	// changes anything else: a fixer that writes a new field declares it here.
	Owns Owned
}

// Owned are fields a fixer may change.
type Owned struct {
	// Pod and Container are dotted paths below the pod spec ("securityContext.fsGroup") and
	// below each container ("securityContext.runAsUser"). No path may lie inside another.
	Pod, Container []string
	// Annotations are prefixes of the pod template's annotation keys.
	Annotations []string
	// Mounts: emptyDir volumes (name and emptyDir only), and container mounts of them at
	// the writable paths.
	Mounts bool
}

// Options are what a run targets.
type Options struct {
	Level   api.Level
	Version api.Version
	// WarnLevel, when set, is a level whose violations the fixed workloads are also
	// checked for: those their target allows are Result.Warnings (a baseline run's what
	// restricted would still refuse).
	WarnLevel api.Level
	// Fixers are the IDs of the fixers to run.
	Fixers map[string]bool
	// RunAsUser is the UID set where a pod has none; nil never sets one (platforms such as
	// OpenShift assign it).
	RunAsUser *int64
	// WritablePaths get an emptyDir volume when the root filesystem is made read-only.
	WritablePaths []string
	// TargetFor, when set, gives the level and version for a workload's namespace (from
	// Namespace labels or a config file); otherwise Level and Version apply everywhere.
	TargetFor func(namespace string) Target
	// ExemptionFor, when set, returns the exemption a config file gives an object.
	ExemptionFor func(kind, namespace, name string) *Exemption
	// SettingsFor, when set, returns the settings a config file gives an object (its
	// objects: list), which replace RunAsUser and WritablePaths for that object, or nil.
	SettingsFor func(kind, namespace, name string) *ObjectSettings
	// WritablePathsFrom, set on one object's options when its config entry names its
	// writable paths, says where: its containers' writes are then known (a read-only root
	// is made under readOnlyRoot: known, as for an image in the table).
	WritablePathsFrom string
	// ObjectWritablePaths are every path SettingsFor may give (verification accepts the
	// emptyDirs mounted there).
	ObjectWritablePaths []string
	// ExemptRuntimeClass, when set, says why pods of a runtime class are exempt (the API
	// server's admission config), or "": such pods are left alone, as PSA never checks them.
	ExemptRuntimeClass func(runtimeClass string) string
	// DefaultNamespace is the namespace of workloads that name none.
	DefaultNamespace string
	// Images are facts about images (.psafix.yaml "images:", or read from a registry) that
	// come before the built-in table.
	Images []Image
	// FixExplicitRoot turns an explicit runAsUser: 0 or runAsNonRoot: false into an edit
	// (with a note) instead of a decision that is kept and reported.
	FixExplicitRoot bool
	// RemoveCapabilities removes added capabilities the level forbids; otherwise they are
	// kept and the pod cannot pass.
	RemoveCapabilities bool
	// Explain writes the assumption of each risky edit as a trailing comment on the line it
	// changes ("# psafix: UID 65532, image user unknown"); JSON files get none.
	Explain bool
	// ReadOnlyRoot says which containers get a read-only root filesystem.
	ReadOnlyRoot ReadOnlyRootMode
}

// ReadOnlyRootMode says which containers the read-only-root fixer changes.
type ReadOnlyRootMode string

const (
	// ReadOnlyRootKnown changes only containers whose image's writable paths are known
	// (the image table, a config entry with writablePaths), in pods psafix fixes.
	ReadOnlyRootKnown ReadOnlyRootMode = "known"
	// ReadOnlyRootAll changes every container, each with a note naming its writable paths.
	ReadOnlyRootAll ReadOnlyRootMode = "all"
	// ReadOnlyRootOff changes none.
	ReadOnlyRootOff ReadOnlyRootMode = "off"
)

// ObjectSettings are the options a config file sets for the objects a selector matches.
type ObjectSettings struct {
	// SetRunAsUser: RunAsUser replaces the options' (nil: never set a UID).
	SetRunAsUser bool
	RunAsUser    *int64
	// WritablePaths, when not nil, replace the options'.
	WritablePaths []string
	// From says where the settings are written (PATH:LINE: object SELECTOR).
	From string
}

// DefaultRunAsUser is the UID psafix sets where a pod has none: 65532 is the "nonroot" user
// of distroless and Chainguard images, a common choice that no real account uses.
const DefaultRunAsUser = 65532

// DefaultOptions targets restricted at the latest version with every default fixer.
func DefaultOptions() *Options {
	uid := int64(DefaultRunAsUser)
	o := &Options{
		Level:         api.LevelRestricted,
		Version:       api.LatestVersion(),
		Fixers:        map[string]bool{},
		RunAsUser:     &uid,
		WritablePaths: []string{"/tmp"},
		ReadOnlyRoot:  ReadOnlyRootKnown,
	}
	for _, f := range All {
		if f.Default {
			o.Fixers[f.ID] = true
		}
	}
	return o
}

// Pod is one pod spec being fixed: its workload, the typed spec the fixers decide on, and
// the editor they record changes with.
type Pod struct {
	W    *kio.Workload
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	// Edit records changes: into the document's byte edits, and into the record of what
	// each fixer changed (Result.Changes).
	Edit *Editor
	Opts *Options
	// Target is the level and version this pod must reach.
	Target Target
	// Exempt lists fixers that must leave this pod alone.
	Exempt *Exemption
	// Failing holds the checks that fail at the target level before any fix.
	Failing map[policy.CheckID]Finding
	// Unanswered are the failing checks no enabled fixer answers.
	Unanswered []policy.CheckID
	// Notes collects what a fixer wants the user told (a removed capability, a UID it could
	// not set).
	Notes []Note

	fixer   *Fixer    // the fixer running, which Edit records changes for
	doc     int       // the index of the document in its file
	changes []*Change // what the fixers changed, in order

	pl *plan // what the pod can reach (safety.go)
}

// NewPod starts fixing workload w of a document through ed, with its typed meta and spec.
func NewPod(w *kio.Workload, meta *metav1.ObjectMeta, spec *corev1.PodSpec, ed *kio.Editor, opts *Options) *Pod {
	p := &Pod{W: w, Meta: meta, Spec: spec, Opts: opts, Failing: map[policy.CheckID]Finding{}}
	p.Edit = &Editor{ed: ed, p: p}
	return p
}

// Changes returns what the fixers have changed in the pod so far.
func (p *Pod) Changes() []*Change { return p.changes }

// Note is a message about a fix, shown after the run.
type Note struct {
	Line      int
	Column    int
	Container string
	Fixer     string
	Message   string
	// Field is the field path of what the note is about: the container, or the pod spec.
	Field string
}

// Container is one container of a pod with its YAML node and typed value.
type Container struct {
	Field string // "containers", "initContainers" or "ephemeralContainers"
	Index int
	Node  *yaml.Node
	C     *corev1.Container
}

// Containers returns every container of the pod, init and ephemeral ones included, in the
// order PSA visits them.
func (p *Pod) Containers() []Container {
	var out []Container
	for _, field := range kio.ContainerFields {
		nodes := kio.Containers(p.W.Spec, field)
		for i, n := range nodes {
			var c *corev1.Container
			switch field {
			case "containers":
				if i < len(p.Spec.Containers) {
					c = &p.Spec.Containers[i]
				}
			case "initContainers":
				if i < len(p.Spec.InitContainers) {
					c = &p.Spec.InitContainers[i]
				}
			case "ephemeralContainers":
				if i < len(p.Spec.EphemeralContainers) {
					c = (*corev1.Container)(&p.Spec.EphemeralContainers[i].EphemeralContainerCommon)
				}
			}
			if c == nil || n == nil || n.Kind != yaml.MappingNode {
				continue
			}
			out = append(out, Container{Field: field, Index: i, Node: n, C: c})
		}
	}
	return out
}

// Fails reports whether any of the checks failed before fixing.
func (p *Pod) Fails(ids ...policy.CheckID) bool {
	for _, id := range ids {
		if _, ok := p.Failing[id]; ok {
			return true
		}
	}
	return false
}

// Unfixable reports whether the pod fails a check that no enabled fixer answers (host
// namespaces, hostPath volumes, privileged containers...): such a pod will not reach the
// level whatever psafix does, so destructive fixes are not worth making.
func (p *Pod) Unfixable() bool { return len(p.Unanswered) > 0 }

// Windows reports whether the pod runs on Windows: it declares spec.os.name: windows, or a
// nodeSelector or required node affinity places it on kubernetes.io/os: windows nodes
// (WindowsBySelector). Such pods must not get Linux-only fields (the API server rejects
// them).
func (p *Pod) Windows() bool {
	return (p.Spec.OS != nil && p.Spec.OS.Name == corev1.Windows) || p.WindowsBySelector()
}

// Enabled reports whether a fixer runs in this run.
func (p *Pod) Enabled(id string) bool { return p.Opts.Fixers[id] }

func (p *Pod) note(fixer string, c *Container, format string, args ...any) {
	at := p.W.Spec
	n := Note{Fixer: fixer, Message: fmt.Sprintf(format, args...)}
	spec := joinPath(fieldPath(p.W.Path), "spec")
	n.Field = spec
	if c != nil {
		n.Container = c.C.Name
		at = c.Node
		n.Field = spec + "." + c.Field + "[" + strconv.Itoa(c.Index) + "]"
	}
	if at.Kind == yaml.MappingNode && len(at.Content) > 0 {
		at = at.Content[0]
	}
	n.Line, n.Column = at.Line, at.Column
	p.Notes = append(p.Notes, n)
}

// sc is the path of a securityContext field.
func sc(field ...string) []string { return append([]string{"securityContext"}, field...) }
