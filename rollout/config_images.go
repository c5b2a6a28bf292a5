// What .psafix.yaml says of images: the images: table, facts of the same kind as the
// built-in table and the image lock's.

package rollout

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// parseImage reads one entry of images: (p is the config file, for the entry's source).
func parseImage(p string, n *yaml.Node, fail failFunc) (fixers.ImageUID, error) {
	m, err := fields(n, "an image", imageFields, fail)
	if err != nil {
		return fixers.ImageUID{}, err
	}
	img := fixers.ImageUID{}
	if img.Pattern, err = scalarField(m, "pattern", fail); err != nil {
		return img, err
	}
	if img.Pattern == "" {
		return img, fail(n, "an image needs a pattern (registry/path, * and ? allowed, optional :tag)")
	}
	pat, tag, _ := strings.Cut(img.Pattern, ":")
	if _, err := path.Match(pat, ""); err != nil {
		return img, fail(m["pattern"], "bad image pattern %q", img.Pattern)
	}
	if _, err := path.Match(tag, ""); err != nil {
		return img, fail(m["pattern"], "bad image pattern %q", img.Pattern)
	}
	id := func(key string) (int64, bool, error) {
		v := m[key]
		if v == nil || kio.IsNull(v) {
			return 0, false, nil
		}
		x, err := strconv.ParseInt(kio.Resolve(v).Value, 10, 64)
		if err != nil || x < 0 || x > 2147483647 {
			return 0, false, fail(v, "%s must be a number from 0 to 2147483647, not %q", key, kio.Resolve(v).Value)
		}
		return x, true, nil
	}
	uid, hasUID, err := id("uid")
	if err != nil {
		return img, err
	}
	// uid: 0 is how older config files say the image needs root.
	img.UID, img.NeedsRoot = uid, hasUID && uid == 0
	if img.GID, _, err = id("gid"); err != nil {
		return img, err
	}
	if v := m["needsRoot"]; v != nil && !kio.IsNull(v) {
		r := kio.Resolve(v)
		b, ok := false, false
		if r.Kind == yaml.ScalarNode {
			b, ok = kio.ParseBool(r)
		}
		if !ok {
			return img, fail(v, "needsRoot must be true or false, not %q", r.Value)
		}
		if !b && hasUID && uid == 0 {
			return img, fail(v, "needsRoot: false contradicts uid: 0 (which means the image needs root)")
		}
		img.NeedsRoot = img.NeedsRoot || b
	}
	if v := m["writablePaths"]; v != nil && !kio.IsNull(v) {
		l, err := stringList(v, "writablePaths", fail)
		if err != nil {
			return img, err
		}
		img.WritablePaths = []string{}
		for _, wp := range l {
			if !strings.HasPrefix(wp, "/") {
				return img, fail(v, "writablePaths: a path must be absolute, not %q", wp)
			}
			if err := fixers.CheckWritablePath(wp); err != nil {
				return img, fail(v, "writablePaths: %v", err)
			}
			img.WritablePaths = append(img.WritablePaths, wp)
		}
	}
	if !hasUID && !img.NeedsRoot && img.WritablePaths == nil && img.GID == 0 {
		return img, fail(n, "an image needs a uid (the user it is built for), needsRoot: true or writablePaths")
	}
	reason, err := scalarField(m, "reason", fail)
	if err != nil {
		return img, err
	}
	img.Source = fmt.Sprintf("%s:%d", p, n.Line)
	if reason != "" {
		img.Source = reason + " (" + img.Source + ")"
	}
	return img, nil
}
