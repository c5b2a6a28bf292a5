package imagelock

import (
	"fmt"
	"strings"

	"github.com/psafix/psafix/fixers"
)

// Images turns the lock's entries into facts for the fixers, of the same kind as the
// .psafix.yaml images: table; source names the lock file in the facts' reasons. Each entry
// gives one exact pattern, its normalised reference, so a fact never spreads to another
// tag of the same repository.
//
// Only what the config says is taken: a numeric non-zero user is the UID the image is built
// for, and a numeric non-zero group its GID. An image whose config runs as root (no User,
// "0", "root") is not marked NeedsRoot: most such images run as any user, and the built-in
// table and .psafix.yaml know better which do not. Volumes are not taken as WritablePaths:
// they are places the image writes, not all of them, and a read-only root filesystem
// needs all of them known.
func (l *Lock) Images(source string) []fixers.Image {
	var out []fixers.Image
	for _, e := range l.Entries {
		if e.UID == nil || *e.UID == 0 || strings.Contains(e.Reference, "@") {
			// Patterns cannot name a digest: an image pinned by digest stays unknown
			// rather than borrow another tag's facts.
			continue
		}
		img := fixers.Image{
			Pattern: e.Reference,
			UID:     *e.UID,
			Source:  fmt.Sprintf("image config user %q (%s, %s)", e.User, source, short(e.Digest)),
		}
		if e.GID != nil {
			img.GID = *e.GID
		}
		out = append(out, img)
	}
	return out
}

// short is a digest as people quote it: the algorithm and 12 hex digits.
func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}
