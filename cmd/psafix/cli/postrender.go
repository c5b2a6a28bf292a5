package cli

import (
	"errors"
	"io"

	"github.com/psafix/psafix/rollout"
	"github.com/spf13/cobra"
)

const postRenderHelp = `psafix post-render is psafix as a Helm post-renderer: it reads the manifests Helm
rendered on standard input, fixes them as psafix fixes a file, and writes the whole stream
on standard output for Helm to install. Documents with nothing to fix pass byte for byte.
What is fixed (risky edits included) and what is left is told on standard error.

Helm v4 runs post-renderers as plugins: install the plugin in dist/helm-plugin/ of psafix's
source (its plugin.yaml runs 'psafix post-render' from PATH), then

  helm install web ./chart --post-renderer psafix

Extra flags reach psafix through --post-renderer-args. By default the post-renderer fixes
and warns but never fails the release (--fail-on never, whatever .psafix.yaml says);
--fail-on violations (or unexempted) fails the install or upgrade when violations remain.

Exit codes: 0 the stream was written; 1 violations remain and --fail-on counts them;
2 an error (a document that does not parse: nothing is written).`

// newPostRenderCmd is psafix as a Helm post-renderer: stdin to stdout, warnings on stderr,
// failing only with an explicit --fail-on.
func newPostRenderCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "post-render [flags]",
		Short: "Fix a rendered Helm release on its way to the cluster (helm --post-renderer)",
		Long:  postRenderHelp,
		Example: `  helm plugin install ./dist/helm-plugin --verify=false   # once; runs psafix from PATH
  helm install web ./chart --post-renderer psafix
  helm upgrade web ./chart --post-renderer psafix --post-renderer-args=--fail-on=violations
  helm template web ./chart | psafix post-render > fixed.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.color = "never"
			if f.format != formatText {
				return usageError{errors.New("post-render writes the manifests on standard output: its report is text, on standard error (drop --format)")}
			}
			if !f.fs.Changed("fail-on") {
				// Set, not defaulted: it reads over defaults.failOn in .psafix.yaml, which is
				// meant for CI gates, not for an install.
				if err := f.fs.Set("fail-on", rollout.FailOnNever); err != nil {
					return err
				}
			}
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			r := &run{opts: opts, flags: f, stdin: stdin, stdout: stdout, stderr: stderr}
			c, err := r.main([]string{"-"})
			*code = c
			return err
		},
	}
	f.common(cmd.Flags())
	f.failOnFlag(cmd.Flags())
	cmd.Flags().Lookup("fail-on").Usage = "which remaining violations fail the release: violations, unexempted or never (default never, whatever .psafix.yaml says)"
	return cmd
}
