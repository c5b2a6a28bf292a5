package fixers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// Seccomp answers the seccompProfile checks. Baseline forbids Unconfined; restricted also
// requires a profile for every container, which one pod-level RuntimeDefault gives. A
// Localhost profile is a deliberate choice and stays.
var Seccomp = &Fixer{
	ID:      "seccomp",
	Checks:  []policy.CheckID{"seccompProfile_restricted", "seccompProfile_baseline"},
	Doc:     "set seccompProfile.type: RuntimeDefault at pod level; Unconfined becomes RuntimeDefault, Localhost stays",
	Default: true,
	Fix:     fixSeccomp,
	Owns: Owned{
		Pod:         []string{"securityContext.seccompProfile"},
		Container:   []string{"securityContext.seccompProfile"},
		Annotations: []string{seccompAnnotationPod, seccompAnnotationContainer},
	},
}

const (
	seccompAnnotationPod       = "seccomp.security.alpha.kubernetes.io/pod"
	seccompAnnotationContainer = "container.seccomp.security.alpha.kubernetes.io/"
)

func fixSeccomp(p *Pod) {
	if p.Windows() {
		return
	}
	unconfined := func(s *corev1.SeccompProfile) bool {
		return s != nil && s.Type == corev1.SeccompProfileTypeUnconfined
	}
	psc := p.Spec.SecurityContext
	if psc != nil && unconfined(psc.SeccompProfile) {
		p.Edit.Set(p.W.Spec, sc("seccompProfile", "type"), kio.Str(corev1.SeccompProfileTypeRuntimeDefault))
	}
	needPod := false
	for _, c := range p.Containers() {
		s := c.C.SecurityContext
		switch {
		case s != nil && unconfined(s.SeccompProfile):
			p.Edit.Set(c.Node, sc("seccompProfile", "type"), kio.Str(corev1.SeccompProfileTypeRuntimeDefault))
		case s == nil || s.SeccompProfile == nil:
			needPod = true
		}
	}
	// Before v1.19 the profile was set by annotations, which PSA still reads at those
	// versions.
	if p.Meta != nil {
		for k, v := range p.Meta.Annotations {
			if (k == seccompAnnotationPod || strings.HasPrefix(k, seccompAnnotationContainer)) && v == "unconfined" {
				p.Edit.Set(p.W.PodMeta(), []string{"annotations", k}, kio.Str("runtime/default"))
			}
		}
	}
	if p.Fails("seccompProfile_restricted") && needPod && (psc == nil || psc.SeccompProfile == nil) {
		p.Edit.Set(p.W.Spec, sc("seccompProfile"), kio.M("type", kio.Str(corev1.SeccompProfileTypeRuntimeDefault)))
	}
}
