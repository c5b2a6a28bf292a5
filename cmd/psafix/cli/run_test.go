package cli

import (
	"path/filepath"
	"testing"
)

func TestDiffPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"k8s/web.yaml", "k8s/web.yaml"},
		{"./web.yaml", "web.yaml"},
		{"/tmp/web.yaml", "tmp/web.yaml"}, // git diff --no-index /tmp/a /tmp/b: a/tmp/a
		{"k8s//web.yaml", "k8s/web.yaml"},
		{"../web.yaml", "../web.yaml"},
		{stdinName, "stdin"},
	}
	for _, tt := range tests {
		if got := diffPath(filepath.FromSlash(tt.path)); got != tt.want {
			t.Errorf("diffPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
