package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/psafix/psafix/krm"
)

const fnHelp = `psafix fn runs psafix as a KRM function, for kustomize (transformers with an exec or
container function) and kpt (fn eval, fn render): it reads a ResourceList on standard input
and writes it to standard output with its workloads fixed, every other item and every
annotation as they came, and a result per fix (info) and per violation left (error at the
target level; with level baseline, a warning per restricted violation).

Plain 'psafix' with no PATH does the same when standard input is a ResourceList, so
kustomize's exec path and an image entrypoint need no arguments.

The options come from the functionConfig, either typed:

  apiVersion: psafix.dev/v1alpha1
  kind: PSAFix
  metadata:
    name: psafix
  spec:
    level: restricted        # or baseline
    version: latest          # or v1.N
    fixers: [seccomp]        # run only these
    skip: [read-only-root]   # do not run these
    runAsUser: 65532         # or none
    writablePaths: [/tmp]
    readOnlyRoot: known      # or all, off
    fixExplicitRoot: false   # true changes runAsUser: 0 / runAsNonRoot: false
    removeCapabilities: false # true removes added capabilities the level forbids
    explain: false           # true comments each risky edit's assumption

or a ConfigMap with the same options under data, named like the flags (lists
comma-separated): level, version, fixers, skip, run-as-user, writable-paths,
read-only-root, fix-explicit-root, remove-capabilities, explain. That is what
'kpt fn eval --exec psafix -- level=baseline skip=read-only-root' passes.

Exit codes:
  0  every workload passes the target level
  1  violations remain at the target level (also printed on standard error, as kustomize
     shows only that), an item could not be processed, or the functionConfig is bad (the
     items are then passed through untouched)
  2  standard input is not a ResourceList`

func newFnCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	return &cobra.Command{
		Use:   "fn",
		Short: "Run as a KRM function (kustomize, kpt): a ResourceList on standard input, fixed on standard output",
		Long:  fnHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			*code = krm.Run(stdin, stdout, stderr)
			return nil
		},
	}
}
