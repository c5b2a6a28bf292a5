// Package krm runs psafix as a KRM function, the kind kustomize (transformers with
// exec or container) and kpt (fn eval, pipelines) run: a ResourceList on standard input, the
// same ResourceList on standard output with its workloads fixed and a result for every fix
// and every violation left.
//
// Items are fixed by the engine the command line uses, one at a time, so only the lines a
// fix needs change and comments stay; items without a pod template, and every annotation
// (kustomize's and kpt's config.kubernetes.io/* and internal.config.kubernetes.io/* among
// them), come back as they came.
package krm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"strings"

	"k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	kykio "sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/rollout"
)

// Exit codes.
const (
	// ExitOK: every workload passes the target level.
	ExitOK = 0
	// ExitFindings: violations remain at the target level, an item could not be processed,
	// or the functionConfig is bad.
	ExitFindings = 1
	// ExitError: standard input is not a readable ResourceList.
	ExitError = 2
)

var bom = []byte("\xef\xbb\xbf")

// MaxInput is the largest ResourceList Run reads: a function's input is held in memory
// whole, and an endless stream must not make it grow without bound.
const MaxInput = 256 << 20

// IsResourceList reports whether data is one YAML document holding a KRM ResourceList
// (kind: ResourceList, apiVersion: config.kubernetes.io/...): what kustomize and kpt send a
// function.
func IsResourceList(data []byte) bool {
	ok, _ := probe(data)
	return ok
}

// probe tells whether data is a ResourceList, and when it is not because it is not YAML,
// why.
func probe(data []byte) (bool, error) {
	data = bytes.TrimPrefix(data, bom)
	if !bytes.Contains(data, []byte("ResourceList")) {
		return false, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return false, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return false, nil
	}
	var apiVersion, kind string
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion":
			apiVersion = root.Content[i+1].Value
		case "kind":
			kind = root.Content[i+1].Value
		}
	}
	if kind != kykio.ResourceListKind || !strings.HasPrefix(apiVersion, "config.kubernetes.io/") {
		return false, nil
	}
	// Nothing but empty documents may follow.
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if !emptyDoc(&next) {
			return false, nil
		}
	}
}

func emptyDoc(n *yaml.Node) bool {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return true
		}
		n = n.Content[0]
	}
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

var (
	// leadingSeparator is a "---" line before the ResourceList, after comments or blank
	// lines only; trailingSeparators are "---" or "..." lines (and blank lines) after it.
	// kyaml would read either as a second, empty document and then not unwrap the list.
	leadingSeparator   = regexp.MustCompile(`^(?:[ \t]*(?:#[^\n]*)?\n)*---[ \t]*(?:#[^\n]*)?\n`)
	trailingSeparators = regexp.MustCompile(`(?:\n(?:---|\.\.\.)[ \t]*(?:#[^\n]*)?|\n[ \t]*)+\n?$`)
)

// normalize prepares a ResourceList for kyaml's reader: no BOM, no document separator.
func normalize(data []byte) []byte {
	data = bytes.TrimPrefix(data, bom)
	if loc := leadingSeparator.FindIndex(data); loc != nil {
		data = data[loc[1]:]
	}
	if loc := trailingSeparators.FindIndex(data); loc != nil {
		if tail := data[loc[0]:]; bytes.Contains(tail, []byte("\n---")) || bytes.Contains(tail, []byte("\n...")) {
			data = append(data[:loc[0]:loc[0]], '\n')
		}
	}
	return data
}

// Run runs the function: it reads a ResourceList from stdin and writes the fixed one to
// stdout, with its results. It returns the exit code: 0 when every workload passes the
// target level, 1 when violations remain (each told on stderr too, for kustomize shows only
// that) or the functionConfig is bad (the items then pass through untouched), 2 when stdin
// is not a ResourceList.
func Run(stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// Any panic is a psafix bug: it becomes an error (the documented exit 1), and nothing
	// has been written, as the output is written whole at the end.
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "psafix bug: %v: nothing written; please report it with the ResourceList\n%s", p, debug.Stack())
			code = ExitFindings
		}
	}()
	data, err := io.ReadAll(io.LimitReader(stdin, MaxInput+1))
	if err != nil {
		fmt.Fprintf(stderr, "psafix: cannot read standard input: %v\n", err)
		return ExitError
	}
	if len(data) > MaxInput {
		fmt.Fprintf(stderr, "psafix: standard input is larger than %d MiB: not read\n", MaxInput>>20)
		return ExitError
	}
	if ok, err := probe(data); !ok {
		if err != nil {
			fmt.Fprintf(stderr, "psafix: cannot read the ResourceList: %v\n", err)
			return ExitError
		}
		fmt.Fprintln(stderr, "psafix: standard input is not a KRM ResourceList (one YAML document with apiVersion: config.kubernetes.io/v1 and kind: ResourceList); to fix plain manifests, run psafix without 'fn'")
		return ExitError
	}
	rw := &kykio.ByteReadWriter{
		Reader: bytes.NewReader(normalize(data)),
		// Items of a ResourceList get no reader annotations, and whatever annotations they
		// carry are written back as they came.
		OmitReaderAnnotations: true,
		KeepReaderAnnotations: true,
	}
	items, err := rw.Read()
	if err == nil && rw.WrappingKind != kykio.ResourceListKind {
		err = errors.New("not a ResourceList")
	}
	if err != nil {
		fmt.Fprintf(stderr, "psafix: cannot read the ResourceList: %v\n", err)
		return ExitError
	}
	// Lines in kyaml's nodes count from the list without the separator normalize dropped.
	lineOffset := 0
	if loc := leadingSeparator.FindIndex(bytes.TrimPrefix(data, bom)); loc != nil {
		lineOffset = bytes.Count(bytes.TrimPrefix(data, bom)[:loc[1]], []byte("\n"))
	}
	for i, item := range items {
		if err := checkShape(item, i, lineOffset); err != nil {
			fmt.Fprintf(stderr, "psafix: cannot read the ResourceList: %v\n", err)
			return ExitError
		}
	}
	rl := &framework.ResourceList{Items: items, FunctionConfig: rw.FunctionConfig}

	var messages []string
	settings, opts, admission, err := readConfig(rl.FunctionConfig)
	if err != nil {
		// Nothing is fixed with options psafix cannot read: the items pass through as they
		// came, with the reason as the only result.
		rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		messages = append(messages, "psafix: "+err.Error())
	} else {
		if admission != nil {
			for _, w := range admission.Warnings() {
				messages = append(messages, "psafix: "+w)
			}
		}
		var warned strings.Builder
		namespaceTargets(rl.Items, opts, admission, &warned)
		for w := range strings.Lines(warned.String()) {
			messages = append(messages, "psafix: "+strings.TrimSuffix(w, "\n"))
		}
		f := newFunction(opts)
		f.failOn = settings.FailOn
		for i := range rl.Items {
			rl.Items[i] = f.item(rl, i)
		}
		messages = append(messages, f.messages...)
		if f.violations > 0 || f.failures > 0 {
			messages = append(messages, f.summary())
		}
	}

	if len(rl.Results) > 0 {
		res, err := resultsNode(rw.Results, rl.Results)
		if err != nil {
			fmt.Fprintf(stderr, "psafix: cannot write the results: %v\n", err)
			return ExitError
		}
		rw.Results = res
	}
	var out bytes.Buffer
	rw.Writer = &out
	if err := rw.Write(rl.Items); err != nil {
		fmt.Fprintf(stderr, "psafix: cannot write the ResourceList: %v\n", err)
		return ExitError
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "psafix: cannot write standard output: %v\n", err)
		return ExitError
	}
	for _, m := range messages {
		fmt.Fprintln(stderr, m)
	}
	return rl.Results.ExitCode()
}

// namespaceTargets reads the Namespace objects of the ResourceList (items, and the items of
// List items), as parsed: their
// pod-security.kubernetes.io/enforce labels set the level and version of their namespaces'
// workloads, over the functionConfig's level and version, as a namespace's labels win over
// .psafix.yaml's defaults on the command line; a privileged namespace is left alone. An
// admission config (spec.admissionConfig) comes between the labels and the functionConfig's
// level, and its exempt namespaces and runtime classes are left alone. A label PSA reads
// otherwise than it says (enforce: strict) is told to warn.
func namespaceTargets(items []*yaml.RNode, opts *fixers.Options, admission *rollout.AdmissionConfig, warn io.Writer) {
	ro := rollout.NewTargets(nil, false, false)
	ro.Base = fixers.Target{Level: opts.Level, Version: opts.Version, From: "functionConfig"}
	if admission != nil {
		ro.Admission = admission
		opts.ExemptRuntimeClass = ro.ExemptRuntimeClass
	}
	for i, item := range items {
		root := item.YNode()
		if root == nil || root.Kind != yaml.MappingNode {
			continue
		}
		name := fmt.Sprintf("items[%d]", i)
		if path, _, _ := kioutil.GetFileAnnotations(item); path != "" {
			name = path
		}
		ms := rollout.NamespacesIn(name, root)
		// Lines count in the item as its own text has it: its head comment, then its keys.
		first, heads := 1, []*yaml.Node{root}
		if len(root.Content) > 0 {
			heads = append(heads, root.Content[0]) // yaml.v3 gives it a comment after "- "
		}
		for _, n := range heads {
			if n.HeadComment != "" {
				first += strings.Count(n.HeadComment, "\n") + 1
			}
		}
		for _, m := range ms {
			m.Line += first - root.Line
		}
		ro.Add(ms)
	}
	ro.Warn(warn) // labels PSA reads otherwise than they say, on standard error as on the command line
	if ro.Active() {
		opts.TargetFor = ro.TargetFor
	}
}

// resultsNode appends results to those the ResourceList came with (an earlier function's),
// as YAML.
func resultsNode(prev *yaml.RNode, results framework.Results) (*yaml.RNode, error) {
	b, err := yaml.Marshal(results)
	if err != nil {
		return nil, err
	}
	n, err := yaml.Parse(string(b))
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.YNode() != nil && prev.YNode().Kind == yaml.SequenceNode {
		seq := prev.Copy()
		seq.YNode().Content = append(seq.YNode().Content, n.YNode().Content...)
		return seq, nil
	}
	return n, nil
}

// newFunction prepares a run over the items of one ResourceList.
func newFunction(opts *fixers.Options) *function {
	if opts.Level != api.LevelRestricted {
		// What the level allows and restricted does not is reported as warnings.
		opts.WarnLevel = api.LevelRestricted
	}
	return &function{opts: opts, engine: fixers.NewEngine(opts)}
}
