package fixers

import (
	"strings"

	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Capabilities answers the capabilities checks: restricted requires dropping ALL and adding
// nothing but NET_BIND_SERVICE; baseline forbids adding capabilities outside the runtime's
// default set. Both edits are risky: they are made only on pods that can then pass (taking
// IPC_LOCK from a hostPID node agent that stays non-compliant anyway would break it for
// nothing). An added capability is the author's decision: it is removed, and the removal
// reported, only with --remove-capabilities; otherwise the pod cannot pass and is left as
// it is. Privileged containers never get drop: [ALL] (the runtime ignores it there), and a
// container that may still run as root gets it only with a note.
var Capabilities = &Fixer{
	ID:      "capabilities",
	Checks:  []policy.CheckID{"capabilities_restricted", "capabilities_baseline"},
	Doc:     "add capabilities.drop: [ALL]; with --remove-capabilities, remove (and report) added capabilities the level forbids (restricted keeps only NET_BIND_SERVICE)",
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

// unprivilegedPortSysctl lets non-root processes bind ports below 1024 in the pod's network
// namespace; PSA's baseline allows it.
const unprivilegedPortSysctl = "net.ipv4.ip_unprivileged_port_start"

func fixCapabilities(p *Pod) {
	const id = "capabilities"
	if p.Windows() || !p.CanHarden(id) {
		return
	}
	restricted := p.Fails("capabilities_restricted")
	lowPorts := false
	for _, c := range p.Containers() {
		if s := c.C.SecurityContext; s != nil && s.Privileged != nil && *s.Privileged {
			continue
		}
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
			p.risky(id, p.Edit.Append(c.Node, sc("capabilities", "drop"), kio.Str("ALL")), &c, "the container needs no Linux capability (no chown, setuid, raw sockets or ports below 1024 through capabilities)")
			if p.mayRunAsRoot(&c) {
				p.note(id, &c, "capabilities.drop: [ALL] added to a container that may run as root (no runAsNonRoot or UID applies): root keeps no capabilities then, so an image that changes file owners or switches users at start will fail")
			} else {
				for _, port := range c.C.Ports {
					if port.ContainerPort > 0 && port.ContainerPort < 1024 {
						lowPorts = true
					}
				}
			}
		}
		if len(add) == 0 {
			continue
		}
		_, addNode := kio.Lookup(capsNode(c), "add")
		var gone []int
		for i, a := range add {
			allowed := baselineCapabilities[a]
			if restricted {
				allowed = a == "NET_BIND_SERVICE"
			}
			if !allowed && addNode != nil {
				gone = append(gone, i)
			}
		}
		if len(gone) > 0 && len(gone) == len(add) {
			// Every added capability goes: so does "add", rather than "add: []".
			p.Edit.DeleteKey(capsNode(c), "add").Assume("the container works without " + joinAnd(add))
		}
		for _, i := range gone {
			if len(gone) < len(add) {
				p.Edit.Remove(addNode, i).Assume("the container works without " + add[i])
			}
			p.note(id, &c, "removed capability %s from capabilities.add (--remove-capabilities): the %s level forbids it; if the container needs it, it belongs in a namespace with a more permissive level", add[i], p.Target.Level)
		}
	}
	if lowPorts && !p.Spec.HostNetwork && !p.hasSysctl(unprivilegedPortSysctl) && !p.Knative() {
		p.Edit.Append(p.W.Spec, sc("sysctls"), kio.M("name", kio.Str(unprivilegedPortSysctl), "value", kio.Str("0"))).Assume("the runtime supports the sysctl (Linux 4.11 or later)")
		p.note(id, nil, "%s: \"0\" set so that non-root containers without capabilities can still bind the ports below 1024 they declare", unprivilegedPortSysctl)
	}
}

// mayRunAsRoot reports whether a container may still run as root after the fix: its UID is
// 0, or no UID and no runAsNonRoot applies to it and run-as-non-root will not set one (a pod
// in a user namespace passes restricted that way).
func (p *Pod) mayRunAsRoot(c *Container) bool {
	if u, _ := p.effectiveUser(c); u != nil {
		return *u == 0 && !(p.Opts.FixExplicitRoot && p.Fails("runAsUser") && p.willRun("run-as-non-root"))
	}
	if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID > 0 {
		return false
	}
	if s := c.C.SecurityContext; s != nil && s.RunAsNonRoot != nil {
		if *s.RunAsNonRoot {
			return false
		}
	} else if s := p.Spec.SecurityContext; s != nil && s.RunAsNonRoot != nil && *s.RunAsNonRoot {
		return false
	}
	return !(p.Fails("runAsNonRoot") && p.willRun("run-as-non-root"))
}

// willRun reports whether a fixer runs for this pod in this run.
func (p *Pod) willRun(id string) bool { return p.Enabled(id) && !p.Exempt.Covers(id) }

func (p *Pod) hasSysctl(name string) bool {
	if s := p.Spec.SecurityContext; s != nil {
		for _, x := range s.Sysctls {
			if x.Name == name {
				return true
			}
		}
	}
	return false
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

// joinAnd writes "A", "A and B", "A, B and C".
func joinAnd(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}
