package krm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
)

// function is one run over the items of a ResourceList.
type function struct {
	opts   *fixers.Options
	engine *fixers.Engine

	// messages go to stderr: one line per error result.
	messages []string
	// violations are the errors left at the target level; failures the items psafix could
	// not process; accepted the violations accepted on their object (psafix.dev/accept),
	// exempted those on an object exempt from the fixer that answers them.
	violations, failures, accepted, exempted int
	// levels tallies the target levels of the workloads, for the summary to name.
	levels rollout.Tally
	// failOn says which violations fail the function (rollout.FailOn*; "" is violations).
	failOn string
}

// itemInfo is what results say about an item: the resource and the file it came from.
type itemInfo struct {
	index int
	ref   *yaml.ResourceIdentifier
	file  *framework.File
	// name is what the engine calls the item: its file, or items[N].
	name string
	// where prefixes stderr lines: "file: Kind/name".
	where string
}

func describeItem(item *yaml.RNode, index int) *itemInfo {
	it := &itemInfo{index: index, name: fmt.Sprintf("items[%d]", index)}
	if meta, err := item.GetMeta(); err == nil || errors.Is(err, yaml.ErrMissingMetadata) {
		if meta.Kind != "" {
			it.ref = &yaml.ResourceIdentifier{TypeMeta: meta.TypeMeta, NameMeta: meta.ObjectMeta.NameMeta}
		}
	}
	if path, index, _ := kioutil.GetFileAnnotations(item); path != "" {
		it.file = &framework.File{Path: path}
		it.file.Index, _ = strconv.Atoi(index)
		it.name = path
	}
	if it.ref != nil {
		name := it.ref.Name
		if it.ref.Namespace != "" {
			name = it.ref.Namespace + "/" + name
		}
		it.where = it.ref.Kind + "/" + name
	} else {
		it.where = it.name
	}
	if it.file != nil && it.ref != nil {
		it.where = it.file.Path + ": " + it.where
	}
	return it
}

func (f *function) add(rl *framework.ResourceList, it *itemInfo, sev framework.Severity, msg, field string, tags map[string]string) {
	r := &framework.Result{Severity: sev, Message: msg, ResourceRef: it.ref, File: it.file}
	if field != "" {
		r.Field = &framework.Field{Path: field}
	}
	if len(tags) > 0 {
		r.Tags = tags
	}
	rl.Results = append(rl.Results, r)
}

// fail reports an item psafix could not process; it is emitted as it came.
func (f *function) fail(rl *framework.ResourceList, it *itemInfo, msg string) {
	f.failures++
	f.add(rl, it, framework.Error, msg, "", nil)
	f.messages = append(f.messages, "psafix: "+it.where+": "+msg)
}

// item fixes items[i], adds its results and returns the item to emit: the fixed one, or
// the item as it came.
func (f *function) item(rl *framework.ResourceList, i int) *yaml.RNode {
	item := rl.Items[i]
	it := describeItem(item, i)
	text, err := item.String()
	if err != nil {
		f.fail(rl, it, "cannot serialize this item, left unchanged: "+err.Error())
		return item
	}
	old := []byte(text)
	res := f.engine.FixFileDocuments(it.name, old)
	if res.Err != nil {
		if len(kio.FindWorkloads(&kio.Document{Root: item.YNode()})) == 0 {
			return item // not a workload: none of psafix's business
		}
		msg := res.Err.Error()
		var fe *fixers.FileError
		if errors.As(res.Err, &fe) {
			msg = fe.Msg
		}
		f.fail(rl, it, "psafix cannot process this item, left unchanged: "+msg)
		return item
	}
	for _, b := range res.Bugs {
		f.fail(rl, it, b.Message)
	}
	for _, e := range res.Errors {
		// A pod template that does not decode: the item is emitted as it came.
		msg, _ := strings.CutPrefix(e.Msg, it.where+": ")
		f.fail(rl, it, fmt.Sprintf("%s, at line %d:%d of the item: left unchanged", msg, e.Line, e.Column))
	}
	out := item
	remaining, warnings, notes := res.Remaining, res.Warnings, res.Notes
	if res.New != nil {
		n, err := fixedItem(item, res)
		if err != nil {
			// The engine's result is not used: report what the item as it came fails.
			f.fail(rl, it, "psafix bug: the fixed item does not round-trip, left unchanged: "+err.Error())
			remaining, warnings, notes = asCame(res.Before), nil, nil
		} else {
			out = n
			f.fixResults(rl, it, res.Changes)
		}
	}
	for _, n := range notes {
		msg := n.Message
		if n.Container != "" {
			msg = fmt.Sprintf("container %q: %s", n.Container, msg)
		}
		if strings.HasPrefix(n.Field, "items[") {
			msg = n.Object + " " + msg
		}
		f.add(rl, it, framework.Info, msg, n.Field, tags("", n.Fixer, ""))
		// kustomize drops info results: a note (a risky edit declined or made, an
		// exemption, a removed capability) goes to standard error too, as on the command line.
		f.messages = append(f.messages, "psafix: "+it.where+": note: "+msg)
	}
	f.levels.AddPods(res.Pods)
	reported := map[string]bool{}
	for _, r := range remaining {
		reported[r.Object+"\x00"+r.Container+"\x00"+string(r.Check)] = true
		f.violations++
		// failOn decides which violations fail the build: those are errors, the others
		// warnings (the exit code follows the results).
		exempt := false
		switch {
		case r.Accepted != "":
			f.accepted++
			exempt = true
		case exemptFrom(res.Pods, r):
			f.exempted++
			exempt = true
		}
		sev := framework.Error
		if f.failOn == rollout.FailOnNever || (f.failOn == rollout.FailOnUnexempted && exempt) {
			sev = framework.Warning
		}
		f.add(rl, it, sev, reportMessage(r), r.Field, tags(string(r.Check), r.Fixer, string(f.levels.LevelOf(r.Object, f.opts.Level))))
		f.messages = append(f.messages, "psafix: "+f.stderrLine(it, r))
	}
	// What the target level allows but restricted does not: warnings.
	for _, r := range warnings {
		if reported[r.Object+"\x00"+r.Container+"\x00"+string(r.Check)] {
			continue
		}
		r.Hint = restrictedHint(r.Check)
		f.add(rl, it, framework.Warning, reportMessage(r), r.Field, tags(string(r.Check), r.Fixer, string(api.LevelRestricted)))
	}
	return out
}

// asCame turns the violations of an item as it came (Result.Before) into what a run without
// fixers reports of it.
func asCame(before []fixers.Report) []fixers.Report {
	out := make([]fixers.Report, 0, len(before))
	for _, r := range before {
		if r.Fixer != "" {
			r.Hint, _ = fixers.Hint(r.Check, nil)
		}
		r.Fixable = false
		out = append(out, r)
	}
	return out
}

func restrictedHint(id policy.CheckID) string {
	if _, fixer := fixers.Hint(id, nil); fixer != "" {
		return "allowed at this level; restricted forbids it, and psafix's " + fixer + " fixer fixes it with level: restricted"
	}
	return "allowed at this level; restricted forbids it: " + fixers.CheckOf(id).Hint
}

func tags(check, fixer, level string) map[string]string {
	t := map[string]string{}
	if check != "" {
		t["check"] = check
	}
	if fixer != "" {
		t["fixer"] = fixer
	}
	if level != "" {
		t["level"] = level
	}
	return t
}

// exemptFrom reports whether a violation is on an object exempt from the fixer that
// answers it (or from every fixer).
func exemptFrom(pods []fixers.PodSummary, r fixers.Report) bool {
	for _, p := range pods {
		if p.Object == r.Object && p.Exempt != nil && (len(p.Exempt.Fixers) == 0 || (r.Fixer != "" && p.Exempt.Covers(r.Fixer))) {
			return true
		}
	}
	return false
}

func (f *function) summary() string {
	var parts []string
	if f.violations > 0 {
		parts = append(parts, fmt.Sprintf("%s at %s", kio.Count(f.violations, "violation remains", "violations remain"), f.levels.LevelText(f.opts.Level)))
		if f.accepted > 0 {
			parts[len(parts)-1] += fmt.Sprintf(" (%d accepted)", f.accepted)
		}
	}
	if f.failures > 0 {
		parts = append(parts, kio.Count(f.failures, "item", "items")+" could not be processed")
	}
	return "psafix: " + strings.Join(parts, ", ")
}

func (f *function) stderrLine(it *itemInfo, r fixers.Report) string {
	if it.file != nil {
		return it.file.Path + ": " + r.Text()
	}
	return r.Text()
}

// fixedItem is the fixed item: the engine's fixed document, as its verification parsed it
// (Result.Final), checked against the item as it came: every annotation but the AppArmor
// ones a fix may change is the same, and no comment is lost on the way into the
// ResourceList.
func fixedItem(item *yaml.RNode, res *fixers.Result) (*yaml.RNode, error) {
	var d *kio.Document
	for _, fd := range res.Final {
		if fd != nil && fd.Root != nil {
			if d != nil {
				return nil, errors.New("the item became more than one document")
			}
			d = fd
		}
	}
	if d == nil {
		return nil, errors.New("the engine handed over no fixed document")
	}
	// Comments yaml.v3 gives the document rather than its mapping would not be written
	// inside a ResourceList.
	c := d.Root
	c.HeadComment = joinComments(d.HeadComment, c.HeadComment)
	c.FootComment = joinComments(c.FootComment, d.FootComment)
	d.HeadComment, d.FootComment = "", ""
	n := yaml.NewRNode(c)
	if diff := cmp.Diff(keptAnnotations(item), keptAnnotations(n)); diff != "" {
		return nil, fmt.Errorf("annotations changed (-before +after):\n%s", diff)
	}
	again, err := n.String()
	if err != nil {
		return nil, err
	}
	if diff := cmp.Diff(kio.Comments(res.New), kio.Comments([]byte(again))); diff != "" {
		return nil, fmt.Errorf("comments changed (-before +after):\n%s", diff)
	}
	return n, nil
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

func keptAnnotations(n *yaml.RNode) map[string]string {
	out := map[string]string{}
	for k, v := range n.GetAnnotations() {
		if !strings.HasPrefix(k, "container.apparmor.security.beta.kubernetes.io/") {
			out[k] = v
		}
	}
	return out
}
