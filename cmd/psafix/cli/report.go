package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/rollout"
)

const formatMarkdown = "markdown"

const reportHelp = `psafix report shows, per namespace, where a Pod Security Admission rollout stands: the
workloads, how many pass privileged, baseline and restricted today and how many would
after 'psafix --write' (with the same flags), what would still fail and why (PSA check
IDs), the pod-security.kubernetes.io labels the Namespace has, and the labels psafix
recommends: enforce at the strictest level every workload passes after fixing, audit and
warn at restricted, each with its version pinned (--version, or the namespace's
enforce-version label; latest is pinned to the newest policy psafix knows, so that a
cluster upgrade never tightens the policy unannounced). Objects exempt from fixers (the
psafix.dev/skip annotation, or .psafix.yaml) are listed with their reason.

Nothing is written. The namespace of a workload is its metadata.namespace, or --namespace;
a Namespace labelled pod-security.kubernetes.io/enforce sets the level (and
enforce-version the version) its workloads are fixed for, unless --level (--version) is
given; privileged namespaces are left alone.

Exit codes: 0 the report was made; 2 an error (a bad flag, a file that cannot be read or
parsed: the report covers the other files).`

func newReportCmd(stdin io.Reader, stdout, stderr io.Writer, code *int) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "report [flags] [PATH ...]",
		Short: "Per namespace: what passes today, after fixing, and the PSA labels to set",
		Long:  reportHelp,
		Example: `  psafix report ./k8s
  psafix report --format markdown ./k8s > rollout.md
  psafix report --namespace shop --format json ./k8s`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format := f.format
			switch format {
			case formatText, formatJSON, formatMarkdown:
			default:
				return usageError{fmt.Errorf("--format must be text, json or markdown, not %q", format)}
			}
			f.format, f.color = formatText, "never"
			opts, err := f.options()
			if err != nil {
				return usageError{err}
			}
			r := &run{opts: opts, flags: f, survey: true, stdin: stdin, stdout: stdout, stderr: stderr}
			sv, err := r.surveyArgs(args)
			if err != nil {
				*code = ExitError
				return err
			}
			switch format {
			case formatJSON:
				sv.WriteJSON(stdout)
			case formatMarkdown:
				sv.WriteMarkdown(stdout)
			default:
				sv.WriteText(stdout)
			}
			plans := map[string][]rollout.Label{}
			for _, ns := range sv.Namespaces {
				plans[ns.Name] = ns.Rec.Labels
			}
			if note := sv.Targets.NoClusterNote(); note != "" && rollout.PinsNewest(plans) {
				fmt.Fprintf(stderr, "psafix report: %s\n", note)
			}
			fmt.Fprintf(stderr, "psafix report: %s\n", sv.Summary())
			if len(sv.Errors) > 0 {
				*code = ExitError
			}
			return nil
		},
	}
	f.common(cmd.Flags())
	cmd.Flags().Lookup("format").Usage = "report format: text, json or markdown"
	return cmd
}

// survey is a rollout.Survey with the inputs it read, for psafix label to fix them.
type survey struct {
	*rollout.Survey
	inputs []input
	// stdin is standard input, read once by the pre-pass.
	stdin []byte
}

// surveyArgs collects the inputs, runs the pre-pass and the engine (writing nothing) and
// sums up the workloads by namespace.
func (r *run) surveyArgs(args []string) (*survey, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	r.args = args
	inputs, err := r.collect(args)
	if err != nil {
		return nil, err
	}
	ro, stdin, err := r.prepare(args, inputs)
	if err != nil {
		return nil, err
	}
	sv := &survey{Survey: rollout.NewSurvey(r.opts, ro, r.flags.namespaces), inputs: inputs, stdin: stdin}
	engine := fixers.NewEngine(r.opts)
	process(inputs, r.flags.jobs, func(in input) []*fixers.Result {
		if in.chart {
			return r.surveyChart(engine, in)
		}
		if in.overlay {
			return []*fixers.Result{r.workOverlay(engine, in).Result}
		}
		res, _ := r.fix(engine, in)
		return []*fixers.Result{res}
	}, nil, func(rs []*fixers.Result) {
		for _, res := range rs {
			res.Pods, _ = r.counted.Once(res.Path, res.Pods, nil)
			sv.Add(r.stderr, res)
		}
	})
	sv.Finish()
	return sv, nil
}
