package fixers

import (
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/psafix/psafix/kio"
)

// ReadOnlyRoot makes each container's root filesystem read-only, which no PSS level requires
// but every hardening guide asks for, and mounts an emptyDir at each writable path (default
// /tmp) so that programs that write scratch files keep working. A container that already
// mounts something at the path keeps it; a volume already named for the path is reused.
// Only containers this fixer changes get mounts: one already read-only was set up by its
// author. An explicit readOnlyRootFilesystem: false is a statement too (ingress-nginx's
// controller writes all over its filesystem): it is kept, and the user is told.
var ReadOnlyRoot = &Fixer{
	ID:      "read-only-root",
	Doc:     "set readOnlyRootFilesystem: true and mount an emptyDir at each --writable-path (default /tmp)",
	Default: true,
	Fix:     fixReadOnlyRoot,
	Owns:    Owned{Container: []string{"securityContext.readOnlyRootFilesystem"}, Mounts: true},
}

func fixReadOnlyRoot(p *Pod) {
	if p.Windows() {
		// readOnlyRootFilesystem is rejected for Windows pods.
		return
	}
	// Volumes by name: true for an emptyDir psafix may reuse for a writable path.
	volumes := map[string]bool{}
	for _, v := range p.Spec.Volumes {
		volumes[v.Name] = v.EmptyDir != nil
	}
	names := map[string]string{} // writable path -> volume name, decided once per pod
	for _, c := range p.Containers() {
		s := c.C.SecurityContext
		if s != nil && s.ReadOnlyRootFilesystem != nil {
			if !*s.ReadOnlyRootFilesystem {
				p.note("read-only-root", &c, "readOnlyRootFilesystem: false is set explicitly and was kept; make it true once the container writes only to mounted volumes")
			}
			continue
		}
		p.Edit.Set(c.Node, sc("readOnlyRootFilesystem"), kio.Bool(true))
		if c.Field == "ephemeralContainers" {
			// Ephemeral containers may not add volumes to a running pod.
			continue
		}
		for _, wp := range p.Opts.WritablePaths {
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
					p.Edit.Append(p.W.Spec, []string{"volumes"}, kio.M("name", kio.Str(name), "emptyDir", kio.M()))
				}
			}
			p.Edit.Append(c.Node, []string{"volumeMounts"}, kio.M("name", kio.Str(name), "mountPath", kio.Str(wp)))
		}
	}
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
