package fixers

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Safe and risky edits.
//
// A safe edit changes nothing a normal process relies on: seccomp RuntimeDefault where no
// profile is set, allowPrivilegeEscalation: false where nothing is set, AppArmor and
// procMount back to their defaults. A risky edit depends on what the image does at run time
// (a UID, runAsNonRoot, fsGroup, capabilities.drop: [ALL], removing an added capability, a
// read-only root filesystem, new volumes and mounts) or overrides a value the author wrote.
//
// Risky edits are all or nothing: they are made only when the pod then passes its level. A
// pod that keeps failing (a privileged container, host namespaces, an image that needs
// root, a capability it keeps) gets the safe edits only, and one note that says what keeps
// it failing: hardening it would risk breaking it and still not let it in.

// BlockerKind says why a pod cannot pass its level whatever psafix does.
type BlockerKind string

const (
	// BlockUnfixable is a check no fixer answers (privileged, host namespaces, hostPath...)
	// or one the pod is exempt from.
	BlockUnfixable BlockerKind = "unfixable"
	// BlockRootImage is an image known to need root.
	BlockRootImage BlockerKind = "image-needs-root"
	// BlockExplicitRoot is runAsUser: 0 or runAsNonRoot: false written by the author
	// (changed only with --fix-explicit-root).
	BlockExplicitRoot BlockerKind = "explicit-root"
	// BlockCapability is an added capability the level forbids (removed only with
	// --remove-capabilities).
	BlockCapability BlockerKind = "added-capability"
	// BlockRootCommand is an init container whose command needs root (chown, chmod,
	// setfacl).
	BlockRootCommand BlockerKind = "root-command"
	// BlockNoUID is a container left as UID 0 because --run-as-user none forbids choosing
	// one, or a Windows container running as ContainerAdministrator.
	BlockNoUID BlockerKind = "root-user"
)

// Blocker is one reason a pod cannot pass its level.
type Blocker struct {
	Kind      BlockerKind
	Container string // empty for the pod
	// Why is written to be read after "keeps it failing": "container "x" is privileged".
	Why string
}

// plan is what a pod can reach, decided once before its fixers run.
type plan struct {
	blockers []Blocker
	// root holds the containers kept as root, by node, with why.
	root     map[*yaml.Node]Blocker
	declined bool // the one note saying why risky edits were not made is written
	risk     map[string]*riskNote
}

func (p *Pod) plan() *plan {
	if p.pl == nil {
		p.pl = p.makePlan()
	}
	return p.pl
}

// Blockers returns why the pod cannot pass its level whatever psafix does: nil when it can.
func (p *Pod) Blockers() []Blocker { return p.plan().blockers }

// CanHarden reports whether risky edits may be made to the pod: it will pass its level once
// fixed. When it returns false for the first time it writes the pod's one note saying what
// was left and why, attributed to fixer.
func (p *Pod) CanHarden(fixer string) bool {
	pl := p.plan()
	if len(pl.blockers) == 0 {
		return true
	}
	if !pl.declined {
		pl.declined = true
		p.note(fixer, nil, "%s", declineMessage(pl.blockers, p.Target.Level))
	}
	return false
}

// declineReason is why the pod's risky edits were declined, for the hints of the checks they
// would have fixed; "" when none was.
func (p *Pod) declineReason() string {
	if p.pl == nil || !p.pl.declined {
		return ""
	}
	whys, advice := declineParts(p.pl.blockers)
	return fmt.Sprintf("risky edits are made only on pods that can then pass %s, and this one cannot: %s; %s", p.Target.Level, whys, advice)
}

func declineMessage(bs []Blocker, level api.Level) string {
	whys, advice := declineParts(bs)
	return fmt.Sprintf("only safe edits made (no UID, capabilities, read-only root or changed explicit values): it cannot pass %s because %s; %s",
		level, whys, advice)
}

// declineParts words what keeps a pod failing and what to do about it.
func declineParts(bs []Blocker) (whys, advice string) {
	ws := make([]string, 0, len(bs))
	seen := map[string]bool{}
	as := []string{}
	kinds := map[BlockerKind]bool{}
	for _, b := range bs {
		w := b.Why
		if b.Container != "" {
			w = fmt.Sprintf("container %q %s", b.Container, b.Why)
		}
		if !seen[w] {
			seen[w] = true
			ws = append(ws, w)
		}
		if kinds[b.Kind] {
			continue
		}
		kinds[b.Kind] = true
		switch b.Kind {
		case BlockUnfixable:
			as = append(as, "node agents belong in a namespace labelled privileged; otherwise remove what the report names")
		case BlockRootImage:
			as = append(as, "use an image built to run as a non-root user, or keep the workload in a baseline namespace")
		case BlockExplicitRoot:
			as = append(as, "--fix-explicit-root makes it non-root")
		case BlockCapability:
			as = append(as, "--remove-capabilities removes them")
		case BlockRootCommand:
			as = append(as, "give the volume an fsGroup instead of changing owners in an init container")
		case BlockNoUID:
			as = append(as, "set runAsUser to the image's non-root user")
		}
	}
	return strings.Join(ws, "; "), strings.Join(as, "; ")
}

// makePlan finds what keeps the pod from passing its level whatever psafix does. Checks
// answered by a fixer the user left out (--fixers, --skip) are the user's to fix and do not
// count; a fixer the pod is exempt from does.
func (p *Pod) makePlan() *plan {
	pl := &plan{root: map[*yaml.Node]Blocker{}}
	for _, id := range sortedChecks(p.Failing) {
		f := p.Failing[id]
		if fixer := checkFixer[id]; fixer != "" && !p.Exempt.Covers(fixer) {
			continue
		}
		why := f.Reason
		if f.Detail != "" {
			why += " (" + f.Detail + ")"
		}
		pl.blockers = append(pl.blockers, Blocker{Kind: BlockUnfixable, Why: why})
	}
	cs := p.Containers()
	if p.Fails("runAsNonRoot", "runAsUser") {
		for i := range cs {
			if b, ok := p.rootBlocker(&cs[i]); ok {
				pl.root[cs[i].Node] = b
				pl.blockers = append(pl.blockers, b)
			}
		}
	}
	if p.Fails("capabilities_restricted", "capabilities_baseline") && !p.Opts.RemoveCapabilities {
		restricted := p.Fails("capabilities_restricted")
		for i := range cs {
			if forbidden := forbiddenAdded(cs[i].C, restricted); len(forbidden) > 0 {
				pl.blockers = append(pl.blockers, Blocker{Kind: BlockCapability, Container: cs[i].C.Name,
					Why: fmt.Sprintf("adds %s, which %s forbids", strings.Join(forbidden, ", "), p.Target.Level)})
			}
		}
	}
	return pl
}

// checkFixer names the fixer that answers each check (filled from All at start-up: the
// fixers themselves read it, so it cannot be computed from All directly).
var checkFixer = map[policy.CheckID]string{}

func init() {
	for _, f := range All {
		for _, c := range f.Checks {
			checkFixer[c] = f.ID
		}
	}
}

func sortedChecks(m map[policy.CheckID]Finding) []policy.CheckID {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	out := make([]policy.CheckID, 0, len(keys))
	for _, k := range sortedKeys(setOf(keys)) {
		out = append(out, policy.CheckID(k))
	}
	return out
}

func setOf(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

// forbiddenAdded lists the capabilities a container adds that the level forbids.
func forbiddenAdded(c *corev1.Container, restricted bool) []string {
	var out []string
	if s := c.SecurityContext; s != nil && s.Capabilities != nil {
		for _, a := range s.Capabilities.Add {
			allowed := baselineCapabilities[string(a)]
			if restricted {
				allowed = a == "NET_BIND_SERVICE"
			}
			if !allowed {
				out = append(out, string(a))
			}
		}
	}
	return out
}

// effectiveUser is the runAsUser that applies to a container (its own, else the pod's), and
// the node it is written at.
func (p *Pod) effectiveUser(c *Container) (*int64, *yaml.Node) {
	if s := c.C.SecurityContext; s != nil && s.RunAsUser != nil {
		return s.RunAsUser, scNode(c.Node, "runAsUser")
	}
	if s := p.Spec.SecurityContext; s != nil && s.RunAsUser != nil {
		return s.RunAsUser, scNode(p.W.Spec, "runAsUser")
	}
	return nil, nil
}

// explicitNonRootFalse returns the node of a runAsNonRoot: false that applies to the
// container, or nil.
func (p *Pod) explicitNonRootFalse(c *Container) *yaml.Node {
	if s := c.C.SecurityContext; s != nil && s.RunAsNonRoot != nil {
		if !*s.RunAsNonRoot {
			return scNode(c.Node, "runAsNonRoot")
		}
		return nil
	}
	if s := p.Spec.SecurityContext; s != nil && s.RunAsNonRoot != nil && !*s.RunAsNonRoot {
		return scNode(p.W.Spec, "runAsNonRoot")
	}
	return nil
}

// scNode returns the value node of securityContext.key in mapping m, or nil.
func scNode(m *yaml.Node, key string) *yaml.Node {
	_, s := kio.Lookup(m, "securityContext")
	_, v := kio.Lookup(s, key)
	return v
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// rootBlocker decides whether a container must stay root, and why.
func (p *Pod) rootBlocker(c *Container) (Blocker, bool) {
	b := Blocker{Container: c.C.Name}
	if p.Windows() {
		if rootUser(p, c) {
			b.Kind, b.Why = BlockNoUID, "runs as ContainerAdministrator"
			return b, true
		}
		return b, false
	}
	uid, at := p.effectiveUser(c)
	if uid != nil {
		if *uid != 0 {
			return b, false // the author chose a non-root UID
		}
		if !p.Opts.FixExplicitRoot {
			b.Kind, b.Why = BlockExplicitRoot, fmt.Sprintf("runs as root by its own setting (runAsUser: 0, line %d)", lineOf(at))
			return b, true
		}
		if p.Opts.RunAsUser == nil {
			b.Kind, b.Why = BlockNoUID, "runs as UID 0 and --run-as-user none forbids choosing a UID"
			return b, true
		}
		return b, false
	}
	img, known := LookupImage(c.C.Image, p.Opts.Images)
	if known && img.NeedsRoot {
		b.Kind, b.Why = BlockRootImage, fmt.Sprintf("runs image %s, which needs root (%s)", c.C.Image, img.Source)
		return b, true
	}
	if n := p.explicitNonRootFalse(c); n != nil && !(known && img.UID > 0) && !p.Opts.FixExplicitRoot {
		b.Kind, b.Why = BlockExplicitRoot, fmt.Sprintf("runs as root by its own setting (runAsNonRoot: false, line %d)", lineOf(n))
		return b, true
	}
	if c.Field == "initContainers" {
		if cmd := rootCommand(c.C); cmd != "" {
			b.Kind, b.Why = BlockRootCommand, fmt.Sprintf("runs %s, which needs root", cmd)
			return b, true
		}
	}
	return b, false
}

var rootCommandRE = regexp.MustCompile(`(^|[\s;&|(/])(chown|chmod|setfacl|chgrp)(\s|$)`)

// rootCommand returns the command of a container's command line that needs root to change
// files it does not own (chown, chmod, setfacl, chgrp), or "".
func rootCommand(c *corev1.Container) string {
	for _, part := range append(append([]string{}, c.Command...), c.Args...) {
		if m := rootCommandRE.FindStringSubmatch(part); m != nil {
			return m[2]
		}
	}
	return ""
}

// Declines returns why psafix makes no risky edit to workload w at target t (nil when the
// pod can pass once fixed): what a fix run says in its note, for checks and tests that
// decide on a pod without fixing it. failing are the pod's findings at t.
func Declines(opts *Options, w *kio.Workload, meta *metav1.ObjectMeta, spec *corev1.PodSpec, t Target, failing []Finding, exempt *Exemption) []Blocker {
	p := NewPod(w, meta, spec, nil, opts)
	p.Target, p.Exempt = t, exempt
	for _, f := range failing {
		p.Failing[f.ID] = f
	}
	return p.Blockers()
}

// WindowsBySelector reports whether the pod is placed on Windows nodes by its nodeSelector
// or by a required node affinity (every term requires kubernetes.io/os In [windows]) while
// spec.os.name does not say so.
func (p *Pod) WindowsBySelector() bool {
	if p.Spec.OS != nil {
		return false
	}
	if p.Spec.NodeSelector[corev1.LabelOSStable] == string(corev1.Windows) {
		return true
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		windows := false
		for _, e := range t.MatchExpressions {
			if e.Key == corev1.LabelOSStable && e.Operator == corev1.NodeSelectorOpIn && len(e.Values) == 1 && e.Values[0] == string(corev1.Windows) {
				windows = true
			}
		}
		if !windows {
			return false
		}
	}
	return true
}

// Knative reports whether the workload is a Knative Service (serving.knative.dev), whose
// webhook rejects pod-level securityContext fields under Knative's default settings: the
// fixers write runAsNonRoot, runAsUser and seccompProfile on the containers instead, and
// leave fsGroup and sysctls out.
func (p *Pod) Knative() bool {
	return strings.HasPrefix(p.W.APIVersion, "serving.knative.dev/")
}

// riskNote is the note that lists a fixer's risky edits to one container (or the pod).
type riskNote struct {
	note        int // index in Pod.Notes
	fields      []string
	assumptions []string
}

// risky marks a change risky with what psafix assumed, and says so in one note per fixer
// and container (or pod, c nil): "risky edit: securityContext.runAsUser: 65532 (assumed:
// ...)". A nil change (nothing was changed) is ignored.
func (p *Pod) risky(fixer string, ch *Change, c *Container, assumption string) {
	if ch == nil {
		return
	}
	ch.Assume(assumption)
	pl := p.plan()
	key := fixer + "\x00"
	if c != nil {
		key += c.Field + "/" + strconv.Itoa(c.Index)
	}
	if pl.risk == nil {
		pl.risk = map[string]*riskNote{}
	}
	rn := pl.risk[key]
	if rn == nil {
		p.note(fixer, c, "risky edit")
		rn = &riskNote{note: len(p.Notes) - 1}
		pl.risk[key] = rn
	}
	rn.fields = append(rn.fields, ch.String())
	if !slices.Contains(rn.assumptions, assumption) {
		rn.assumptions = append(rn.assumptions, assumption)
	}
	p.Notes[rn.note].Message = "risky edit: " + strings.Join(rn.fields, "; ") + " (assumed: " + strings.Join(rn.assumptions, "; ") + ")"
}
