package cli

import (
	"strings"
	"testing"

	"github.com/psafix/psafix/rollout"
	"github.com/psafix/psafix/rollout/imagelock"
)

// TestResolveImagesUsage: the help of --resolve-images (written in rollout, which does not
// link the registry client) names the lock file.
func TestResolveImagesUsage(t *testing.T) {
	for _, o := range rollout.Options {
		if o.Flag == "resolve-images" && !strings.Contains(o.Usage, imagelock.FileName) {
			t.Errorf("--resolve-images help does not name %s: %s", imagelock.FileName, o.Usage)
		}
	}
}
