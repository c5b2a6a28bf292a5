package fixers

import (
	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/kio"
)

// RunAsNonRoot answers "runAsNonRoot != true" and "runAsUser=0": containers must not run as
// root. It sets runAsNonRoot at pod level, where it serves every container, turns a
// container's explicit false into true, and gives the pod a non-zero runAsUser where none is
// set so that images built to run as root still start (the kubelet refuses to start a
// runAsNonRoot container whose image user is 0 and no UID is given).
var RunAsNonRoot = &Fixer{
	ID:      "run-as-non-root",
	Checks:  []policy.CheckID{"runAsNonRoot", "runAsUser"},
	Doc:     "set runAsNonRoot: true and a non-zero runAsUser (pod level; a container's runAsUser: 0 or runAsNonRoot: false is changed in place)",
	Default: true,
	Fix:     fixRunAsNonRoot,
}

func fixRunAsNonRoot(p *Pod) {
	const id = "run-as-non-root"
	cs := p.Containers()
	spec := p.W.Spec
	psc := p.Spec.SecurityContext
	windows := p.Windows()
	uid := p.Opts.RunAsUser

	if p.Fails("runAsNonRoot") {
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			p.Edit.Set(spec, sc("runAsNonRoot"), kio.Bool(true))
		}
		for i := range cs {
			c := &cs[i]
			if s := c.C.SecurityContext; s != nil && s.RunAsNonRoot != nil && !*s.RunAsNonRoot {
				p.Edit.Set(c.Node, sc("runAsNonRoot"), kio.Bool(true))
			}
		}
	}
	if windows {
		// runAsUser is a Linux field; Windows pods use windowsOptions.runAsUserName.
		return
	}
	// Replace explicit root UIDs, which fail runAsUser.
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		if uid != nil {
			p.Edit.Set(spec, sc("runAsUser"), kio.Int(*uid))
		} else {
			p.note(id, nil, "pod securityContext.runAsUser is 0 and --run-as-user none forbids choosing a UID: set it to the image's non-root user")
		}
	}
	for i := range cs {
		c := &cs[i]
		if s := c.C.SecurityContext; s != nil && s.RunAsUser != nil && *s.RunAsUser == 0 {
			if uid != nil {
				p.Edit.Set(c.Node, sc("runAsUser"), kio.Int(*uid))
			} else {
				p.note(id, c, "securityContext.runAsUser is 0 and --run-as-user none forbids choosing a UID: set it to the image's non-root user")
			}
		}
	}
	if !p.Fails("runAsNonRoot") {
		return
	}
	// Containers that will now have runAsNonRoot but no UID from anywhere start only if
	// their image declares a non-root user.
	if psc != nil && psc.RunAsUser != nil {
		return
	}
	var unknown []*Container
	for i := range cs {
		if s := cs[i].C.SecurityContext; s == nil || s.RunAsUser == nil {
			unknown = append(unknown, &cs[i])
		}
	}
	if len(unknown) == 0 {
		return
	}
	if uid != nil {
		p.Edit.Set(spec, sc("runAsUser"), kio.Int(*uid))
		return
	}
	for _, c := range unknown {
		p.note(id, c, "runAsNonRoot: true set without a runAsUser (--run-as-user none): the container starts only if its image declares a non-root USER")
	}
}
