package fixers

import (
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// NoPrivilegeEscalation answers allowPrivilegeEscalation: restricted requires it false on
// every container. The API server rejects allowPrivilegeEscalation: false next to
// privileged: true or an added CAP_SYS_ADMIN, so such containers are left to the report.
// Where nothing is set the edit is safe and made on every pod; an explicit true is the
// author's choice, changed (with a note naming its line) only on pods that can then pass.
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
		if s != nil && s.Capabilities != nil && (!p.willRun("capabilities") || !p.Opts.RemoveCapabilities || len(p.Blockers()) > 0) {
			sysAdmin := false
			for _, a := range s.Capabilities.Add {
				sysAdmin = sysAdmin || a == "SYS_ADMIN" || a == "CAP_SYS_ADMIN"
			}
			if sysAdmin {
				continue
			}
		}
		if s != nil && s.AllowPrivilegeEscalation != nil {
			if !p.CanHarden("no-privilege-escalation") {
				continue
			}
			p.note("no-privilege-escalation", &c, "allowPrivilegeEscalation: true (line %d) changed to false: setuid programs (sudo, su, ping on old images) stop gaining privileges", lineOf(scNode(c.Node, "allowPrivilegeEscalation")))
		}
		ch := p.Edit.Set(c.Node, sc("allowPrivilegeEscalation"), kio.Bool(false))
		if s != nil && s.AllowPrivilegeEscalation != nil {
			ch.Assume("the container gains no privileges through setuid programs")
		}
	}
}
