package fixers

import "testing"

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
