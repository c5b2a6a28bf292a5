package cli

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/psafix/psafix/fixers"
)

// The goldens never depend on the build: every test sees a build without a version.
func init() {
	readBuildInfo = func() (*debug.BuildInfo, bool) { return nil, false }
}

func TestVersion(t *testing.T) {
	out, errs, code := runCLI([]string{"version"}, nil)
	if code != ExitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	newest := fixers.NewestVersion().String()
	for _, want := range []string{"psafix (devel)\n", "Pod Security Standards " + newest, "--version latest means " + newest} {
		if !strings.Contains(out, want) {
			t.Errorf("psafix version does not say %q:\n%s", want, out)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	defer func(f func() (*debug.BuildInfo, bool)) { readBuildInfo = f }(readBuildInfo)
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/psafix/psafix", Version: "(devel)"},
		Deps:     []*debug.Module{{Path: "k8s.io/pod-security-admission", Version: "v0.37.2"}},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}
	readBuildInfo = func() (*debug.BuildInfo, bool) { return bi, true }
	b := currentBuild()
	if got, want := b.String(), "(devel)+0123456789ab-dirty"; got != want {
		t.Errorf("build %q, want %q", got, want)
	}
	if b.PSA != "v0.37.2" {
		t.Errorf("PSA version %q", b.PSA)
	}
	bi.Main.Version = "v0.4.0"
	if got := currentBuild().String(); got != "v0.4.0" {
		t.Errorf("released build %q, want v0.4.0", got)
	}
	out, _, _ := runCLI([]string{"version"}, nil)
	if !strings.Contains(out, "revision: 0123456789abcdef0123 (modified)") {
		t.Errorf("no revision:\n%s", out)
	}
}
