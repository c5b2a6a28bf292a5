package rollout

import (
	"fmt"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
)

// Levels are PSA's levels, from the loosest.
var Levels = []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted}

// LevelRank orders levels: privileged 0, baseline 1, restricted 2.
func LevelRank(l api.Level) int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return 0
}

// Workload is one workload of a namespace, as the engine left it.
type Workload struct {
	Path string
	fixers.PodSummary
	// Problem says why a workload was not evaluated (its pod spec does not decode).
	Problem string
}

// Where is PATH:LINE of the workload.
func (p Workload) Where() string { return fmt.Sprintf("%s:%d", p.Path, p.Line) }

// Namespace is one namespace of a run: its manifest, its target and its workloads, how
// many pass each level before and after fixing, and the labels psafix recommends.
type Namespace struct {
	Name     string
	Manifest *Manifest
	Target   fixers.Target
	Pods     []Workload
	Before   map[api.Level]int
	After    map[api.Level]int
	Rec      Recommendation
}

// NewNamespace starts the survey of a namespace of the targets.
func (ro *Targets) NewNamespace(name string) *Namespace {
	return &Namespace{Name: name, Manifest: ro.Manifest(name), Target: ro.TargetFor(name), Before: map[api.Level]int{}, After: map[api.Level]int{}}
}

// Add counts a workload of the namespace.
func (ns *Namespace) Add(p Workload) {
	ns.Pods = append(ns.Pods, p)
	for _, l := range Levels {
		if p.Before[l] {
			ns.Before[l]++
		}
		if p.After[l] {
			ns.After[l]++
		}
	}
}

// Remaining lists the workloads that still fail their target after fixing, or were not
// evaluated.
func (ns *Namespace) Remaining() []Workload {
	var out []Workload
	for _, p := range ns.Pods {
		if len(p.Remaining) > 0 || p.Problem != "" {
			out = append(out, p)
		}
	}
	return out
}

// Exempt lists the workloads exempt from fixers.
func (ns *Namespace) Exempt() []Workload {
	var out []Workload
	for _, p := range ns.Pods {
		if p.Exempt != nil {
			out = append(out, p)
		}
	}
	return out
}

// PinVersion is the version PSA labels are pinned to for a target version: itself, or for
// latest the newest policy version psafix knows (what latest means for this psafix). A
// pinned version keeps a cluster upgrade from changing what is enforced.
func PinVersion(v api.Version) string {
	if v.Latest() {
		return fixers.NewestVersion().String()
	}
	return v.String()
}

// Label is one label to set.
type Label struct{ Key, Value string }

// Recommendation is the labels psafix recommends for a namespace, and why.
type Recommendation struct {
	Labels []Label
	// Enforce is the recommended enforce level, "" for none.
	Enforce string
	Why     string
	// LeftAlone marks a namespace psafix does not relabel (enforce=privileged by its label,
	// or no namespace at all).
	LeftAlone bool
}

// Recommend decides a namespace's labels: enforce at the strictest level every workload
// passes after fixing (never lower than an enforce label it has), audit and warn at
// restricted, every mode's version pinned. pin overrides the version.
func Recommend(ns *Namespace, pin string) Recommendation {
	if ns.Name == "" {
		return Recommendation{LeftAlone: true, Why: "no namespace: set metadata.namespace, or name it with --namespace"}
	}
	if pin == "" {
		pin = PinVersion(ns.Target.Version)
	}
	cur, hasCur := api.Level(""), false
	if v, ok := ns.Manifest.PSALabels()[EnforceLabel]; ok {
		cur, hasCur = ParseLevel(v)
	}
	if ns.Target.Exempt {
		return Recommendation{LeftAlone: true, Why: ns.Target.From + ": Pod Security Admission never checks its pods; psafix leaves the namespace alone"}
	}
	if hasCur && cur == api.LevelPrivileged {
		return Recommendation{LeftAlone: true, Why: "enforce=privileged by its label: psafix leaves the namespace and its workloads alone"}
	}
	rec := Recommendation{}
	n := len(ns.Pods)
	switch {
	case n == 0:
		rec.Why = "no workloads in the input: audit and warn only"
	case ns.After[api.LevelRestricted] == n:
		rec.Enforce = string(api.LevelRestricted)
		rec.Why = passes(n, n) + " restricted after fixing"
	case ns.After[api.LevelBaseline] == n:
		rec.Enforce = string(api.LevelBaseline)
		rec.Why = fmt.Sprintf("%s baseline after fixing, %s restricted", passes(n, n), fails(n-ns.After[api.LevelRestricted], n))
	default:
		rec.Why = fmt.Sprintf("%s baseline even after fixing: fix or exempt before enforcing", fails(n-ns.After[api.LevelBaseline], n))
	}
	if hasCur && n > 0 && (rec.Enforce == "" || LevelRank(cur) > LevelRank(api.Level(rec.Enforce))) {
		rec.Why = fmt.Sprintf("keeps enforce=%s from its label although %s it even after fixing", cur, fails(n-ns.After[cur], n))
		rec.Enforce = string(cur)
	}
	if n > 0 && ns.Target.Level == api.LevelBaseline {
		rec.Why += "; psafix report --level restricted shows what restricted takes"
	}
	if rec.Enforce != "" {
		rec.Labels = append(rec.Labels, Label{EnforceLabel, rec.Enforce}, Label{EnforceLabel + "-version", pin})
	}
	for _, mode := range Modes[1:] {
		rec.Labels = append(rec.Labels, Label{LabelPrefix + mode, string(api.LevelRestricted)}, Label{LabelPrefix + mode + "-version", pin})
	}
	return rec
}

// LabelModes are the modes a label run sets when it is told (psafix label --enforce,
// --audit, --warn, --pin); none set means the recommendation.
type LabelModes struct {
	Enforce, Audit, Warn string
	// Pin is the version the *-version labels pin ("": the recommendation's, or the
	// namespace's target version).
	Pin string
}

// Explicit reports whether modes were named.
func (lm LabelModes) Explicit() bool { return lm.Enforce != "" || lm.Audit != "" || lm.Warn != "" }

// Plan decides the labels of one namespace; warnings say what the user should know: the
// workloads that the enforced level would reject, today as written or even after fixing,
// and an enforce level set on a namespace none of whose workloads is in the input.
func (lm LabelModes) Plan(ns *Namespace) (labels []Label, warnings []string) {
	if ns.Rec.LeftAlone {
		return nil, nil
	}
	cur, hasCur := api.Level(""), false
	if v, ok := ns.Manifest.PSALabels()[EnforceLabel]; ok {
		cur, hasCur = ParseLevel(v)
	}
	if !lm.Explicit() {
		rec := Recommend(ns, lm.Pin)
		if rec.Enforce != "" {
			kept := hasCur && string(cur) == rec.Enforce
			warnings = enforceWarnings(ns, api.Level(rec.Enforce), !kept)
		}
		return rec.Labels, warnings
	}
	pin := lm.Pin
	if pin == "" {
		pin = PinVersion(ns.Target.Version)
	}
	for _, m := range []struct{ mode, level string }{{"enforce", lm.Enforce}, {"audit", lm.Audit}, {"warn", lm.Warn}} {
		if m.level == "" {
			continue
		}
		labels = append(labels, Label{LabelPrefix + m.mode, m.level}, Label{LabelPrefix + m.mode + "-version", pin})
	}
	switch {
	case lm.Enforce != "":
		warnings = enforceWarnings(ns, api.Level(lm.Enforce), !hasCur || string(cur) != lm.Enforce)
	case hasCur:
		warnings = enforceWarnings(ns, cur, false)
	}
	return labels, warnings
}

// enforceWarnings says which workloads of a namespace the enforce level rejects: set is
// true when psafix sets the level now, false when the namespace's label keeps it.
func enforceWarnings(ns *Namespace, level api.Level, set bool) []string {
	if level == api.LevelPrivileged {
		return nil
	}
	n := len(ns.Pods)
	if n == 0 {
		if set {
			return []string{fmt.Sprintf("no workload of %s in the input: enforce=%s is set blind (run psafix label with the namespace's workloads too)", ns.Name, level)}
		}
		return nil
	}
	if after := ns.After[level]; after < n {
		if set {
			return []string{fmt.Sprintf("%s %s even after fixing (%s): the API server will reject such pods", fails(n-after, n), level, failing(ns, level, true))}
		}
		return []string{fmt.Sprintf("keeps enforce=%s from its label although %s it even after fixing (%s): the API server rejects such pods", level, fails(n-after, n), failing(ns, level, true))}
	}
	if before := ns.Before[level]; before < n {
		if !set {
			return []string{fmt.Sprintf("keeps enforce=%s from its label, which %s as written today (%s): the API server rejects their pods until the fixes (psafix --write) are deployed", level, fails(n-before, n), failing(ns, level, false))}
		}
		return []string{fmt.Sprintf("sets enforce=%s, which %s as written today (%s): merge and deploy the fixes first (psafix --write), or the API server rejects their next pods", level, fails(n-before, n), failing(ns, level, false))}
	}
	return nil
}

// failing names the workloads of a namespace that fail a level, after fixing or as written.
func failing(ns *Namespace, level api.Level, after bool) string {
	var out []string
	for _, p := range ns.Pods {
		ok := p.Before[level]
		if after {
			ok = p.After[level]
		}
		if !ok {
			out = append(out, p.Object)
		}
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return strings.Join(out, ", ")
}

// passes says "the workload passes" or "all 3 workloads pass" (k of n).
func passes(k, n int) string { return workloads(k, n, "passes", "pass") }

// fails says "the workload fails" or "1 of 3 workloads fail".
func fails(k, n int) string { return workloads(k, n, "fails", "fail") }

func workloads(k, n int, one, many string) string {
	switch {
	case n == 1:
		return "the workload " + one
	case k == n && n == 2:
		return "both workloads " + many
	case k == n:
		return fmt.Sprintf("all %d workloads %s", n, many)
	}
	return fmt.Sprintf("%d of %d workloads %s", k, n, many)
}
