package fixers

import (
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/psafix/psafix/kio"
)

// ReadOnlyRoot makes a container's root filesystem read-only, which no PSS level requires
// but every hardening guide asks for, and mounts an emptyDir at each path the container
// writes to. Whether that keeps the container working depends on where its image writes, so
// by default (--read-only-root=known) only containers whose image's writable paths are known
// are changed (the image table, an "images:" entry with writablePaths), in pods that fail
// their level before the fix and pass it after; --writable-path adds to those paths.
// --read-only-root=all changes every container of every pod that can pass, each with a note
// naming the paths it may write; off changes none. A container that already mounts something
// at a path keeps it; a volume already named for the path is reused, and a new volume never
// takes the name of another volume or volumeClaimTemplate. Only containers this fixer
// changes get mounts: one already read-only was set up by its author. An explicit
// readOnlyRootFilesystem: false is a statement too (ingress-nginx's controller writes all
// over its filesystem): it is kept, and the user is told.
var ReadOnlyRoot = &Fixer{
	ID:      "read-only-root",
	Doc:     "set readOnlyRootFilesystem: true and mount an emptyDir at each writable path, on containers whose image's writable paths are known (--read-only-root=known, the default; all; off)",
	Default: true,
	Fix:     fixReadOnlyRoot,
	Owns:    Owned{Container: []string{"securityContext.readOnlyRootFilesystem"}, Mounts: true},
}

func fixReadOnlyRoot(p *Pod) {
	const id = "read-only-root"
	mode := p.Opts.ReadOnlyRoot
	if mode == "" {
		mode = ReadOnlyRootKnown
	}
	if p.Windows() || mode == ReadOnlyRootOff {
		// readOnlyRootFilesystem is rejected for Windows pods.
		return
	}
	if mode == ReadOnlyRootKnown && len(p.Failing) == 0 {
		// A pod that already passes its level is not psafix's to harden by default.
		return
	}
	type candidate struct {
		c      Container
		paths  []string
		known  bool
		source string
	}
	var cands []candidate
	for _, c := range p.Containers() {
		img, ok := LookupImage(c.C.Image, p.Opts.Images)
		known := ok && img.WritablePaths != nil
		source := img.Source
		if !known && p.Opts.WritablePathsFrom != "" {
			known, source = true, "writablePaths of "+p.Opts.WritablePathsFrom
		}
		if !known && mode != ReadOnlyRootAll {
			continue
		}
		var paths []string
		if known {
			for _, wp := range img.WritablePaths {
				if !containsClean(paths, wp) { // "/var/cache" and "/var//cache/" are one mount
					paths = append(paths, wp)
				}
			}
		}
		for _, wp := range p.Opts.WritablePaths {
			if !containsClean(paths, wp) {
				paths = append(paths, wp)
			}
		}
		cands = append(cands, candidate{c, paths, known, source})
	}
	if len(cands) == 0 || !p.CanHarden(id) {
		return
	}
	// Volumes by name: true for an emptyDir psafix may reuse for a writable path.
	volumes := map[string]bool{}
	for _, v := range p.Spec.Volumes {
		volumes[v.Name] = v.EmptyDir != nil
	}
	for _, v := range p.persistentVolumes() {
		if _, ok := volumes[v]; !ok {
			volumes[v] = false // a volumeClaimTemplate: its name is taken
		}
	}
	names := map[string]string{} // writable path -> volume name, decided once per pod
	for _, cand := range cands {
		c := cand.c
		s := c.C.SecurityContext
		if s != nil && s.ReadOnlyRootFilesystem != nil {
			if !*s.ReadOnlyRootFilesystem {
				p.note(id, &c, "readOnlyRootFilesystem: false is set explicitly and was kept; make it true once the container writes only to mounted volumes")
			}
			continue
		}
		why := "the image writes only to " + pathList(cand.paths) + " (" + cand.source + ")"
		if !cand.known {
			why = "--read-only-root=all: where image " + c.C.Image + " writes is not known; it may write only to " + pathList(cand.paths)
		}
		p.risky(id, p.Edit.Set(c.Node, sc("readOnlyRootFilesystem"), kio.Bool(true)), &c, why)
		if c.Field == "ephemeralContainers" {
			// Ephemeral containers may not add volumes to a running pod.
			continue
		}
		for _, wp := range cand.paths {
			if mounts(c.C, wp) {
				continue
			}
			name, ok := names[wp]
			if !ok {
				name = VolumeName(wp)
				// A volume of that name that is not an emptyDir (a ConfigMap called "tmp")
				// must not be mounted over the path: pick a name of psafix's own.
				for i := 0; ; i++ {
					if empty, taken := volumes[name]; !taken || empty {
						break
					}
					name = "psafix-" + VolumeName(wp)
					if i > 0 {
						name += "-" + strconv.Itoa(i)
					}
				}
				names[wp] = name
				if _, taken := volumes[name]; !taken {
					volumes[name] = true
					p.Edit.Append(p.W.Spec, []string{"volumes"}, kio.M("name", kio.Str(name), "emptyDir", kio.M())).Assume("an emptyDir holds what the container writes at " + wp)
				}
			}
			p.risky(id, p.Edit.Append(c.Node, []string{"volumeMounts"}, kio.M("name", kio.Str(name), "mountPath", kio.Str(wp))), &c, "an emptyDir holds what the container writes at "+wp+"; it is empty at each start")
		}
	}
}

func pathList(paths []string) string {
	if len(paths) == 0 {
		return "its volumes"
	}
	return strings.Join(paths, ", ") + " and its volumes"
}

func containsClean(l []string, p string) bool {
	for _, x := range l {
		if path.Clean(x) == path.Clean(p) {
			return true
		}
	}
	return false
}

// AllWritablePaths are every path the read-only-root fixer may mount an emptyDir at: the
// options' and every image table's.
func (o *Options) AllWritablePaths() []string {
	out := append([]string{}, o.WritablePaths...)
	for _, wp := range o.ObjectWritablePaths {
		if !containsClean(out, wp) {
			out = append(out, wp)
		}
	}
	for _, table := range [][]Image{o.Images, KnownImages} {
		for _, img := range table {
			for _, wp := range img.WritablePaths {
				if !containsClean(out, wp) {
					out = append(out, wp)
				}
			}
		}
	}
	return out
}

func mounts(c *corev1.Container, p string) bool {
	for _, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == path.Clean(p) {
			return true
		}
	}
	return false
}

// VolumeName derives a volume name (a DNS label) from a writable path: /tmp -> tmp,
// /var/cache/nginx -> var-cache-nginx.
func VolumeName(p string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.Trim(path.Clean(p), "/")) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	name := strings.Trim(b.String(), "-")
	if name == "" {
		name = "writable"
	}
	if len(name) > 63 {
		name = strings.Trim(name[:63], "-")
	}
	return name
}
