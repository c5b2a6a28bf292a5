package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/psafix/psafix/fixers"
)

// buildInfo is what 'psafix version' prints: the build of psafix and the policy it checks
// with.
type buildInfo struct {
	// Version is the module version from the build info ("(devel)" when it has none, as
	// for a build inside the repository).
	Version string
	// Revision and Modified are the VCS revision the binary was built from, when stamped.
	Revision string
	Modified bool
	// Policy is the newest Pod Security Standards version psafix knows: what latest means.
	Policy string
	// PSA is the version of k8s.io/pod-security-admission linked in.
	PSA string
	Go  string
}

// readBuildInfo is replaced in tests, so that no golden depends on the build.
var readBuildInfo = debug.ReadBuildInfo

func currentBuild() buildInfo {
	b := buildInfo{Version: "(devel)", Policy: fixers.NewestVersion().String(), PSA: "(unknown)", Go: runtime.Version()}
	bi, ok := readBuildInfo()
	if !ok {
		return b
	}
	if v := bi.Main.Version; v != "" {
		b.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "k8s.io/pod-security-admission" {
			b.PSA = d.Version
			if d.Replace != nil {
				b.PSA = d.Replace.Version
			}
		}
	}
	return b
}

// String is the build in one word, as SARIF's tool.driver.version carries it.
func (b buildInfo) String() string {
	s := b.Version
	if b.Revision != "" && b.Version == "(devel)" {
		r := b.Revision
		if len(r) > 12 {
			r = r[:12]
		}
		s += "+" + r
		if b.Modified {
			s += "-dirty"
		}
	}
	return s
}

const versionHelp = `psafix version prints the build of psafix (the module version and the VCS revision it
was built from, "(devel)" for a build without a module version) and the newest Pod Security
Standards policy version it checks with: what --version latest means, and what the
*-version labels are pinned to unless told otherwise.

Not to be confused with the --version flag of the other commands, which names the policy
version manifests are checked at.`

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print psafix's build and the Pod Security Standards version it checks with",
		Long:  versionHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			b := currentBuild()
			fmt.Fprintf(stdout, "psafix %s\n", b.Version)
			if b.Revision != "" {
				mod := ""
				if b.Modified {
					mod = " (modified)"
				}
				fmt.Fprintf(stdout, "revision: %s%s\n", b.Revision, mod)
			}
			fmt.Fprintf(stdout, "policy:   Pod Security Standards %s (k8s.io/pod-security-admission %s); --version latest means %s\n", b.Policy, b.PSA, b.Policy)
			fmt.Fprintf(stdout, "go:       %s\n", b.Go)
			return nil
		},
	}
}
