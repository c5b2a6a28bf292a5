package fixers

import (
	"strings"
	"testing"
)

// TestWritablePathRefused: the root and paths with ".." are refused wherever options are
// read (flags, .psafix.yaml, the functionConfig: they share ParseOptions).
func TestWritablePathRefused(t *testing.T) {
	for _, p := range []string{"/", "//", "/./", "/a/..", "/tmp/../etc", "/tmp/.."} {
		if _, err := ParseOptions(OptionStrings{WritablePaths: []string{p}}); err == nil {
			t.Errorf("writable path %q accepted", p)
		}
	}
	for _, p := range []string{"/tmp", "/var/cache/nginx", "/a..b"} {
		if _, err := ParseOptions(OptionStrings{WritablePaths: []string{p}}); err != nil {
			t.Errorf("writable path %q refused: %v", p, err)
		}
	}
}

// TestWritablePathsOnce: an image table that names one folder twice ("/var/cache" and
// "/var//cache/") gets one emptyDir there, and the fix verifies.
func TestWritablePathsOnce(t *testing.T) {
	opts := DefaultOptions()
	opts.Images = []Image{{Pattern: "ghcr.io/acme/app", UID: 1000, WritablePaths: []string{"/var/cache", "/var//cache/"}, Source: "test"}}
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: ghcr.io/acme/app\n"
	res := NewEngine(opts).FixFile("p.yaml", []byte(doc))
	if res.Err != nil || len(res.Bugs) > 0 || res.New == nil {
		t.Fatalf("err %v, bugs %v", res.Err, res.Bugs)
	}
	if n := strings.Count(string(res.New), "mountPath: /var"); n != 1 {
		t.Errorf("%d mounts under /var:\n%s", n, res.New)
	}
}
