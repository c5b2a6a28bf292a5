package fixers

import (
	"strings"

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
	Owns: Owned{
		Pod:       []string{"securityContext.runAsNonRoot", "securityContext.runAsUser", "securityContext.fsGroup", "securityContext.fsGroupChangePolicy"},
		Container: []string{"securityContext.runAsNonRoot", "securityContext.runAsUser"},
	},
}

func fixRunAsNonRoot(p *Pod) {
	const id = "run-as-non-root"
	cs := p.Containers()
	spec := p.W.Spec
	psc := p.Spec.SecurityContext
	windows := p.Windows()
	uid := p.Opts.RunAsUser

	// Replace explicit root UIDs, which fail runAsUser (Linux only: Windows pods use
	// windowsOptions.runAsUserName).
	if !windows && uid != nil {
		if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			p.Edit.Set(spec, sc("runAsUser"), kio.Int(*uid))
		}
		for i := range cs {
			if s := cs[i].C.SecurityContext; s != nil && s.RunAsUser != nil && *s.RunAsUser == 0 {
				p.Edit.Set(cs[i].Node, sc("runAsUser"), kio.Int(*uid))
			}
		}
	}
	if !p.Fails("runAsNonRoot") {
		for i := range cs {
			if rootUser(p, &cs[i]) {
				p.note(id, &cs[i], "runs as UID 0 and --run-as-user none forbids choosing a UID: set runAsUser to the image's non-root user")
			}
		}
		return
	}
	// A container that stays root (UID 0 that may not be changed, or Windows'
	// ContainerAdministrator) would be refused by the kubelet once runAsNonRoot is true:
	// leave it to the report rather than break it.
	var blocked []*Container
	for i := range cs {
		if rootUser(p, &cs[i]) {
			blocked = append(blocked, &cs[i])
			p.note(id, &cs[i], "%s, so runAsNonRoot: true would stop it from starting: %s", rootWhy(p, &cs[i]), rootFix(p, &cs[i]))
		}
	}
	if len(blocked) == 0 {
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			p.Edit.Set(spec, sc("runAsNonRoot"), kio.Bool(true))
		}
	}
	for i := range cs {
		c := &cs[i]
		if containsContainer(blocked, c) {
			continue
		}
		s := c.C.SecurityContext
		switch {
		case s != nil && s.RunAsNonRoot != nil && !*s.RunAsNonRoot:
			p.Edit.Set(c.Node, sc("runAsNonRoot"), kio.Bool(true))
		case len(blocked) > 0 && (s == nil || s.RunAsNonRoot == nil) && (psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot):
			p.Edit.Set(c.Node, sc("runAsNonRoot"), kio.Bool(true))
		}
	}
	if windows || (psc != nil && psc.RunAsUser != nil) {
		return
	}
	// Containers that now have runAsNonRoot but no UID from anywhere start only if their
	// image declares a non-root user.
	var unknown []*Container
	for i := range cs {
		if s := cs[i].C.SecurityContext; (s == nil || s.RunAsUser == nil) && !containsContainer(blocked, &cs[i]) {
			unknown = append(unknown, &cs[i])
		}
	}
	if len(unknown) == 0 {
		return
	}
	if uid != nil {
		// The image table knows the user some images are built for: use it, at pod level
		// when every container agrees, else per container.
		want := map[*Container]int64{}
		counts := map[int64]int{}
		for _, c := range unknown {
			u := *uid
			if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID > 0 {
				u = img.UID
			}
			want[c] = u
			counts[u]++
		}
		if len(blocked) > 0 {
			// A pod-level UID would reach the containers left as root too.
			for _, c := range unknown {
				p.Edit.Set(c.Node, sc("runAsUser"), kio.Int(want[c]))
			}
			return
		}
		pod := *uid
		if len(counts) == 1 {
			pod = want[unknown[0]]
		}
		p.Edit.Set(spec, sc("runAsUser"), kio.Int(pod))
		for _, c := range unknown {
			if want[c] != pod {
				p.Edit.Set(c.Node, sc("runAsUser"), kio.Int(want[c]))
			}
		}
		return
	}
	for _, c := range unknown {
		p.note(id, c, "runAsNonRoot: true set without a runAsUser (--run-as-user none): the container starts only if its image declares a non-root USER")
	}
}

// rootUser reports whether a container will run as root whatever psafix does: an explicit
// UID 0 it may not replace (--run-as-user none), Windows' ContainerAdministrator, or an image
// known to need root with no UID of the author's.
func rootUser(p *Pod, c *Container) bool {
	if p.Windows() {
		name := ""
		if s := p.Spec.SecurityContext; s != nil && s.WindowsOptions != nil && s.WindowsOptions.RunAsUserName != nil {
			name = *s.WindowsOptions.RunAsUserName
		}
		if s := c.C.SecurityContext; s != nil && s.WindowsOptions != nil && s.WindowsOptions.RunAsUserName != nil {
			name = *s.WindowsOptions.RunAsUserName
		}
		return strings.EqualFold(name, "ContainerAdministrator")
	}
	var user *int64
	if s := p.Spec.SecurityContext; s != nil && s.RunAsUser != nil {
		user = s.RunAsUser
	}
	if s := c.C.SecurityContext; s != nil && s.RunAsUser != nil {
		user = s.RunAsUser
	}
	if user == nil {
		img, ok := LookupImage(c.C.Image, p.Opts.Images)
		return ok && img.UID == 0
	}
	return *user == 0 && p.Opts.RunAsUser == nil
}

func rootWhy(p *Pod, c *Container) string {
	if p.Windows() {
		return "runs as ContainerAdministrator"
	}
	if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID == 0 {
		return "image " + c.C.Image + " needs root (" + img.Source + ")"
	}
	return "runs as UID 0 (--run-as-user none: psafix does not choose a UID)"
}

func rootFix(p *Pod, c *Container) string {
	if p.Windows() {
		return "set windowsOptions.runAsUserName: ContainerUser if the image allows it"
	}
	if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID == 0 {
		return "use an image built to run as a non-root user, or keep the workload in a baseline namespace"
	}
	return "set runAsUser to the image's non-root user"
}

func containsContainer(l []*Container, c *Container) bool {
	for _, x := range l {
		if x.Node == c.Node {
			return true
		}
	}
	return false
}
