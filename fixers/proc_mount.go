package fixers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// ProcMount answers procMount: only the Default /proc mask is allowed (an Unmasked /proc
// exposes host kernel interfaces).
var ProcMount = &Fixer{
	ID:      "proc-mount",
	Checks:  []policy.CheckID{"procMount", "procMount_restricted"},
	Doc:     "turn procMount: Unmasked into Default",
	Default: true,
	Fix:     fixProcMount,
	Owns:    Owned{Container: []string{"securityContext.procMount"}},
}

func fixProcMount(p *Pod) {
	for _, c := range p.Containers() {
		if s := c.C.SecurityContext; s != nil && s.ProcMount != nil && *s.ProcMount != corev1.DefaultProcMount {
			p.Edit.Set(c.Node, sc("procMount"), kio.Str(corev1.DefaultProcMount))
		}
	}
}
