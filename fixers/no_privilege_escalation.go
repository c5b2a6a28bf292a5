package fixers

import (
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// NoPrivilegeEscalation answers allowPrivilegeEscalation: restricted requires it false on
// every container. The API server rejects allowPrivilegeEscalation: false next to
// privileged: true or an added CAP_SYS_ADMIN, so such containers are left to the report.
var NoPrivilegeEscalation = &Fixer{
	ID:      "no-privilege-escalation",
	Checks:  []policy.CheckID{"allowPrivilegeEscalation"},
	Doc:     "set allowPrivilegeEscalation: false on every container",
	Default: true,
	Fix:     fixNoPrivilegeEscalation,
	Owns:    Owned{Container: []string{"securityContext.allowPrivilegeEscalation"}},
}

func fixNoPrivilegeEscalation(p *Pod) {
	if p.Windows() {
		return
	}
	for _, c := range p.Containers() {
		s := c.C.SecurityContext
		if s != nil && s.AllowPrivilegeEscalation != nil && !*s.AllowPrivilegeEscalation {
			continue
		}
		if s != nil && s.Privileged != nil && *s.Privileged {
			continue
		}
		// The capabilities fixer removes an added SYS_ADMIN only when it runs and the pod can
		// then pass; otherwise SYS_ADMIN stays, and so must allowPrivilegeEscalation.
		if s != nil && s.Capabilities != nil && (!p.Enabled("capabilities") || p.Unfixable() || p.Exempt.Covers("capabilities")) {
			sysAdmin := false
			for _, a := range s.Capabilities.Add {
				sysAdmin = sysAdmin || a == "SYS_ADMIN" || a == "CAP_SYS_ADMIN"
			}
			if sysAdmin {
				continue
			}
		}
		p.Edit.Set(c.Node, sc("allowPrivilegeEscalation"), kio.Bool(false))
	}
}
