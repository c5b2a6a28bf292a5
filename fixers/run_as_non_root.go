package fixers

import (
	"strconv"
	"strings"

	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// RunAsNonRoot answers "runAsNonRoot != true" and "runAsUser=0": containers must not run as
// root. It sets runAsNonRoot at pod level, where it serves every container, and gives the
// pod a non-zero runAsUser where none is set so that images built to run as root still start
// (the kubelet refuses to start a runAsNonRoot container whose image user is 0 and no UID is
// given). Every edit it makes is risky, so it makes none on a pod that cannot pass its level.
// An explicit root setting (runAsUser: 0, runAsNonRoot: false with no non-zero UID) is the
// author's decision: kept and reported unless --fix-explicit-root. Containers known to need
// root (the image table, an init container that runs chown) keep the pod as it is.
var RunAsNonRoot = &Fixer{
	ID:      "run-as-non-root",
	Checks:  []policy.CheckID{"runAsNonRoot", "runAsUser"},
	Doc:     "set runAsNonRoot: true and a non-zero runAsUser (pod level), with fsGroup on pods with persistent volumes; explicit root settings only with --fix-explicit-root",
	Default: true,
	Fix:     fixRunAsNonRoot,
	Owns: Owned{
		Pod:       []string{"securityContext.runAsNonRoot", "securityContext.runAsUser", "securityContext.fsGroup", "securityContext.fsGroupChangePolicy"},
		Container: []string{"securityContext.runAsNonRoot", "securityContext.runAsUser"},
	},
}

func fixRunAsNonRoot(p *Pod) {
	const id = "run-as-non-root"
	if !p.CanHarden(id) {
		return
	}
	cs := p.Containers()
	spec := p.W.Spec
	psc := p.Spec.SecurityContext
	windows := p.Windows()
	uid := p.Opts.RunAsUser

	// Explicit root UIDs fail runAsUser (Linux only: Windows pods use
	// windowsOptions.runAsUserName). The plan let the pod through, so they may be replaced
	// (--fix-explicit-root and a UID to use).
	if !windows && uid != nil {
		if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 0 {
			p.Edit.Set(spec, sc("runAsUser"), kio.Int(*uid)).Assume("the containers run as any UID")
			p.note(id, nil, "runAsUser: 0 (line %d) changed to %d (--fix-explicit-root): the containers must run as any UID", lineOf(scNode(spec, "runAsUser")), *uid)
		}
		for i := range cs {
			if s := cs[i].C.SecurityContext; s != nil && s.RunAsUser != nil && *s.RunAsUser == 0 {
				p.Edit.Set(cs[i].Node, sc("runAsUser"), kio.Int(*uid)).Assume("the image runs as any UID")
				p.note(id, &cs[i], "runAsUser: 0 (line %d) changed to %d (--fix-explicit-root): the image must run as any UID", lineOf(scNode(cs[i].Node, "runAsUser")), *uid)
			}
		}
	}
	if !p.Fails("runAsNonRoot") {
		return
	}
	knative := p.Knative()
	if knative {
		// Knative refuses pod-level fields: runAsNonRoot on each container.
		for i := range cs {
			if s := cs[i].C.SecurityContext; s == nil || s.RunAsNonRoot == nil || !*s.RunAsNonRoot {
				p.risky(id, p.Edit.Set(cs[i].Node, sc("runAsNonRoot"), kio.Bool(true)), &cs[i], userAssumption(p, &cs[i]))
			}
		}
	} else if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		if psc != nil && psc.RunAsNonRoot != nil && p.podFalseMeansRoot(cs) {
			p.note(id, nil, "runAsNonRoot: false (line %d) changed to true (--fix-explicit-root)", lineOf(scNode(spec, "runAsNonRoot")))
		}
		p.risky(id, p.Edit.Set(spec, sc("runAsNonRoot"), kio.Bool(true)), nil, "every container runs as a non-root user, its image's or the UID set")
	}
	for i := range cs {
		c := &cs[i]
		if s := c.C.SecurityContext; s != nil && s.RunAsNonRoot != nil && !*s.RunAsNonRoot {
			img, _ := LookupImage(c.C.Image, p.Opts.Images)
			if u, _ := p.effectiveUser(c); (u == nil || *u == 0) && img.UID == 0 {
				p.note(id, c, "runAsNonRoot: false (line %d) changed to true (--fix-explicit-root)", lineOf(scNode(c.Node, "runAsNonRoot")))
			}
			p.Edit.Set(c.Node, sc("runAsNonRoot"), kio.Bool(true))
		}
	}
	if windows {
		if !p.windowsUserSet() {
			p.note(id, nil, "runAsNonRoot: true set on a Windows pod without windowsOptions.runAsUserName: images that run as ContainerAdministrator will not start; set runAsUserName: ContainerUser")
		}
		return
	}
	if psc != nil && psc.RunAsUser != nil {
		return
	}
	// Containers that now have runAsNonRoot but no UID from anywhere start only if their
	// image declares a non-root user.
	var unknown []*Container
	for i := range cs {
		if s := cs[i].C.SecurityContext; s == nil || s.RunAsUser == nil {
			unknown = append(unknown, &cs[i])
		}
	}
	if len(unknown) == 0 {
		return
	}
	if uid == nil {
		for _, c := range unknown {
			p.note(id, c, "runAsNonRoot: true set without a runAsUser (--run-as-user none): the container starts only if its image declares a non-root USER")
		}
		return
	}
	// The image table knows the user some images are built for: use it, at pod level when
	// every container agrees, else per container.
	want := map[*Container]int64{}
	gids := map[int64]int64{}
	counts := map[int64]int{}
	for _, c := range unknown {
		u := *uid
		if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID > 0 {
			u = img.UID
			if img.GID > 0 {
				gids[u] = img.GID
			}
		}
		want[c] = u
		counts[u]++
	}
	if knative {
		for _, c := range unknown {
			p.risky(id, p.Edit.Set(c.Node, sc("runAsUser"), kio.Int(want[c])), c, userAssumption(p, c))
		}
		if len(p.persistentVolumes()) > 0 {
			p.note(id, nil, "fsGroup not set: Knative refuses pod-level securityContext fields by default; the containers' new UIDs may not be able to write the persistent volumes")
		}
		return
	}
	pod := *uid
	if len(counts) == 1 {
		pod = want[unknown[0]]
	}
	podWhy := "image user unknown: the containers run as any UID"
	if len(counts) == 1 && pod != *uid {
		podWhy = userAssumption(p, unknown[0])
	}
	p.risky(id, p.Edit.Set(spec, sc("runAsUser"), kio.Int(pod)), nil, podWhy)
	for _, c := range unknown {
		if want[c] != pod {
			p.risky(id, p.Edit.Set(c.Node, sc("runAsUser"), kio.Int(want[c])), c, userAssumption(p, c))
		}
	}
	p.fsGroup(pod, gids[pod])
}

// podFalseMeansRoot reports whether the pod's runAsNonRoot: false lets some container run
// as root: one that inherits it and has no non-zero UID of its own, the pod's or its
// image's. (Beside non-zero UIDs the false is no root decision and flipping it is safe.)
func (p *Pod) podFalseMeansRoot(cs []Container) bool {
	for i := range cs {
		c := &cs[i]
		if s := c.C.SecurityContext; s != nil && s.RunAsNonRoot != nil {
			continue
		}
		if u, _ := p.effectiveUser(c); u != nil && *u != 0 {
			continue
		}
		if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID > 0 {
			continue
		}
		return true
	}
	return false
}

// fsGroup gives a pod that mounts persistent volumes, and just got UID uid, the group that
// lets that UID write them: the image's group when known, else the UID.
func (p *Pod) fsGroup(uid, gid int64) {
	vols := p.persistentVolumes()
	if len(vols) == 0 {
		return
	}
	if gid == 0 {
		gid = uid
	}
	psc := p.Spec.SecurityContext
	if psc != nil && psc.FSGroup != nil {
		return
	}
	p.Edit.Set(p.W.Spec, sc("fsGroup"), kio.Int(gid)).Assume("the volumes' files may be made group-owned")
	if psc == nil || psc.FSGroupChangePolicy == nil {
		p.Edit.Set(p.W.Spec, sc("fsGroupChangePolicy"), kio.Str("OnRootMismatch")).Assume("the volumes' files may be made group-owned")
	}
	what := "persistent volume"
	if len(vols) > 1 {
		what += "s"
	}
	p.note("run-as-non-root", nil, "fsGroup: %d and fsGroupChangePolicy: OnRootMismatch set so that UID %d can write the %s %s: files written there by a root process before are made group-owned once", gid, uid, what, strings.Join(vols, ", "))
}

// persistentVolumes names the pod's volumes that keep data between runs: persistent volume
// claims, generic ephemeral volumes and a StatefulSet's volumeClaimTemplates.
func (p *Pod) persistentVolumes() []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			out = append(out, v.Name)
		}
	}
	if p.W.Kind == "StatefulSet" {
		if vct := kio.LookupPath(p.W.Object, "spec", "volumeClaimTemplates"); vct != nil && vct.Kind == yaml.SequenceNode {
			for _, t := range vct.Content {
				if name := kio.LookupPath(t, "metadata", "name"); name != nil && name.Kind == yaml.ScalarNode {
					out = append(out, name.Value)
				}
			}
		}
	}
	return out
}

func (p *Pod) windowsUserSet() bool {
	if s := p.Spec.SecurityContext; s != nil && s.WindowsOptions != nil && s.WindowsOptions.RunAsUserName != nil {
		return true
	}
	for _, c := range p.Containers() {
		if s := c.C.SecurityContext; s == nil || s.WindowsOptions == nil || s.WindowsOptions.RunAsUserName == nil {
			return false
		}
	}
	return true
}

// rootUser reports whether a Windows container runs as ContainerAdministrator.
func rootUser(p *Pod, c *Container) bool {
	name := ""
	if s := p.Spec.SecurityContext; s != nil && s.WindowsOptions != nil && s.WindowsOptions.RunAsUserName != nil {
		name = *s.WindowsOptions.RunAsUserName
	}
	if s := c.C.SecurityContext; s != nil && s.WindowsOptions != nil && s.WindowsOptions.RunAsUserName != nil {
		name = *s.WindowsOptions.RunAsUserName
	}
	return strings.EqualFold(name, "ContainerAdministrator")
}

// userAssumption says what a UID set for a container assumes.
func userAssumption(p *Pod, c *Container) string {
	if img, ok := LookupImage(c.C.Image, p.Opts.Images); ok && img.UID > 0 {
		return "UID " + strconv.FormatInt(img.UID, 10) + " is the image's user (" + img.Source + ")"
	}
	if p.Opts.RunAsUser != nil {
		return "UID " + strconv.FormatInt(*p.Opts.RunAsUser, 10) + ", image user unknown: the image runs as any UID"
	}
	return "the image declares a non-root USER"
}
