package fixers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// AppArmor answers appArmorProfile: baseline forbids the Unconfined profile, set either by
// the securityContext field or by the older per-container annotation.
var AppArmor = &Fixer{
	ID:      "apparmor",
	Checks:  []policy.CheckID{"appArmorProfile"},
	Doc:     "turn an unconfined AppArmor profile (field or annotation) into RuntimeDefault",
	Default: true,
	Fix:     fixAppArmor,
	Owns: Owned{
		Pod:         []string{"securityContext.appArmorProfile"},
		Container:   []string{"securityContext.appArmorProfile"},
		Annotations: []string{appArmorAnnotationPrefix},
	},
}

const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func fixAppArmor(p *Pod) {
	unconfined := func(a *corev1.AppArmorProfile) bool {
		return a != nil && a.Type == corev1.AppArmorProfileTypeUnconfined
	}
	if s := p.Spec.SecurityContext; s != nil && unconfined(s.AppArmorProfile) {
		p.Edit.Set(p.W.Spec, sc("appArmorProfile", "type"), kio.Str(corev1.AppArmorProfileTypeRuntimeDefault))
	}
	for _, c := range p.Containers() {
		if s := c.C.SecurityContext; s != nil && unconfined(s.AppArmorProfile) {
			p.Edit.Set(c.Node, sc("appArmorProfile", "type"), kio.Str(corev1.AppArmorProfileTypeRuntimeDefault))
		}
	}
	if p.Meta == nil {
		return
	}
	for k, v := range p.Meta.Annotations {
		if strings.HasPrefix(k, appArmorAnnotationPrefix) && v == "unconfined" {
			p.Edit.Set(p.W.PodMeta(), []string{"annotations", k}, kio.Str("runtime/default"))
		}
	}
}
