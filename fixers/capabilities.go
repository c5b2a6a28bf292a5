package fixers

import (
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Capabilities answers the capabilities checks: restricted requires dropping ALL and adding
// nothing but NET_BIND_SERVICE; baseline forbids adding capabilities outside the runtime's
// default set. Every capability removed from "add" is reported: a container that needed
// SYS_ADMIN will not work without it, and the user must know. Capabilities are removed only
// from pods that can then pass: taking IPC_LOCK from a hostPID node agent that stays
// non-compliant anyway would break it for nothing, so there they are reported instead.
var Capabilities = &Fixer{
	ID:      "capabilities",
	Checks:  []policy.CheckID{"capabilities_restricted", "capabilities_baseline"},
	Doc:     "add capabilities.drop: [ALL]; remove (and report) added capabilities the level forbids (restricted keeps only NET_BIND_SERVICE)",
	Default: true,
	Fix:     fixCapabilities,
	Owns:    Owned{Container: []string{"securityContext.capabilities"}, Pod: []string{"securityContext.sysctls"}},
}

// baselineCapabilities are the capabilities baseline allows to be added (the container
// runtime's defaults), as PSA lists them.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true,
	"KILL": true, "MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true,
	"SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

func fixCapabilities(p *Pod) {
	if p.Windows() {
		return
	}
	restricted := p.Fails("capabilities_restricted")
	for _, c := range p.Containers() {
		var drop, add []string
		if s := c.C.SecurityContext; s != nil && s.Capabilities != nil {
			for _, d := range s.Capabilities.Drop {
				drop = append(drop, string(d))
			}
			for _, a := range s.Capabilities.Add {
				add = append(add, string(a))
			}
		}
		if restricted && !contains(drop, "ALL") {
			p.Edit.Append(c.Node, sc("capabilities", "drop"), kio.Str("ALL"))
		}
		if len(add) == 0 || p.Unfixable() {
			continue
		}
		_, addNode := kio.Lookup(capsNode(c), "add")
		for i, a := range add {
			allowed := baselineCapabilities[a]
			if restricted {
				allowed = a == "NET_BIND_SERVICE"
			}
			if allowed || addNode == nil {
				continue
			}
			p.Edit.Remove(addNode, i)
			p.note("capabilities", &c, "removed capability %s from capabilities.add: the %s level forbids it; if the container needs it, it belongs in a namespace with a more permissive level", a, p.Target.Level)
		}
	}
}

func capsNode(c Container) *yaml.Node {
	_, s := kio.Lookup(c.Node, "securityContext")
	_, caps := kio.Lookup(s, "capabilities")
	return caps
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
