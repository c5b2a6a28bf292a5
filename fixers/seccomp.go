package fixers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Seccomp answers the seccompProfile checks. Baseline forbids Unconfined; restricted also
// requires a profile for every container, which one pod-level RuntimeDefault gives: a safe
// edit, made on every pod. An explicit Unconfined is the author's choice: it becomes
// RuntimeDefault, with a note naming its line, only on pods that can then pass. A Localhost
// profile is a deliberate choice and stays.
var Seccomp = &Fixer{
	ID:      "seccomp",
	Checks:  []policy.CheckID{"seccompProfile_restricted", "seccompProfile_baseline"},
	Doc:     "set seccompProfile.type: RuntimeDefault at pod level; Unconfined becomes RuntimeDefault, Localhost stays",
	Default: true,
	Fix:     fixSeccomp,
	Owns: Owned{
		Pod:         []string{"securityContext.seccompProfile", "os.name"},
		Container:   []string{"securityContext.seccompProfile"},
		Annotations: []string{seccompAnnotationPod, seccompAnnotationContainer},
	},
}

const (
	seccompAnnotationPod       = "seccomp.security.alpha.kubernetes.io/pod"
	seccompAnnotationContainer = "container.seccomp.security.alpha.kubernetes.io/"
)

func fixSeccomp(p *Pod) {
	if p.WindowsBySelector() {
		// PSA's Windows relaxations key on spec.os.name: say what the selector says, and
		// add no Linux-only field.
		p.Edit.Set(p.W.Spec, []string{"os", "name"}, kio.Str(corev1.Windows))
		p.note("seccomp", nil, "spec.os.name: windows set: the pod's node selection puts it on Windows nodes, where seccomp and other Linux-only fields do not apply")
		return
	}
	if p.Windows() {
		return
	}
	unconfined := func(s *corev1.SeccompProfile) bool {
		return s != nil && s.Type == corev1.SeccompProfileTypeUnconfined
	}
	const id = "seccomp"
	// explicit changes a value the author wrote, when the pod can then pass.
	explicit := func(m *yaml.Node, path []string, v kio.Value, c *Container) {
		if !p.CanHarden(id) {
			return
		}
		line := 0
		if _, n := lookupPath(m, path); n != nil {
			line = n.Line
		}
		p.Edit.Set(m, path, v).Assume("the container works under the runtime's default seccomp filter")
		p.note(id, c, "%s: unconfined (line %d) changed to %s: the container must work under the runtime's default seccomp filter", path[len(path)-1], line, v)
	}
	psc := p.Spec.SecurityContext
	if psc != nil && unconfined(psc.SeccompProfile) {
		explicit(p.W.Spec, sc("seccompProfile", "type"), kio.Str(corev1.SeccompProfileTypeRuntimeDefault), nil)
	}
	needPod := false
	for _, c := range p.Containers() {
		s := c.C.SecurityContext
		switch {
		case s != nil && unconfined(s.SeccompProfile):
			explicit(c.Node, sc("seccompProfile", "type"), kio.Str(corev1.SeccompProfileTypeRuntimeDefault), &c)
		case s == nil || s.SeccompProfile == nil:
			needPod = true
		}
	}
	// Before v1.19 the profile was set by annotations, which PSA still reads at those
	// versions.
	if p.Meta != nil {
		for _, k := range sortedKeys(p.Meta.Annotations) {
			if v := p.Meta.Annotations[k]; (k == seccompAnnotationPod || strings.HasPrefix(k, seccompAnnotationContainer)) && v == "unconfined" {
				explicit(p.W.PodMeta(), []string{"annotations", k}, kio.Str("runtime/default"), nil)
			}
		}
	}
	if p.Fails("seccompProfile_restricted") && needPod && (psc == nil || psc.SeccompProfile == nil) {
		if p.Knative() {
			// Knative refuses pod-level securityContext fields: one per container.
			for _, c := range p.Containers() {
				if s := c.C.SecurityContext; s == nil || s.SeccompProfile == nil {
					p.Edit.Set(c.Node, sc("seccompProfile"), kio.M("type", kio.Str(corev1.SeccompProfileTypeRuntimeDefault)))
				}
			}
			return
		}
		p.Edit.Set(p.W.Spec, sc("seccompProfile"), kio.M("type", kio.Str(corev1.SeccompProfileTypeRuntimeDefault)))
	}
}
