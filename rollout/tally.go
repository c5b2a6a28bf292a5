package rollout

import (
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
)

// Tally sums up a fix run or check for the summary line and the JSON report.
type Tally struct {
	Files         int            `json:"files"`
	FilesChanged  int            `json:"filesChanged"`
	Workloads     int            `json:"workloads"`
	Fixed         int            `json:"workloadsFixed"`
	PassingBefore map[string]int `json:"passingBefore"`
	PassingAfter  map[string]int `json:"passingAfter"`
	Remaining     int            `json:"remaining"`
	// Accepted of the Remaining are accepted on their object (psafix.dev/accept); Exempted
	// are on an object exempt from the fixer that answers them. --fail-on unexempted
	// counts the others.
	Accepted int `json:"accepted"`
	Exempted int `json:"exempted"`
	// Outside counts the workloads outside the namespaces --namespace selects (not in
	// Workloads).
	Outside int `json:"outside,omitempty"`
	Errors  int `json:"errors"`
	// Skipped counts files left alone on purpose (templates outside a chart).
	Skipped int `json:"skipped"`
	// levels are the target levels of the workloads checked (privileged ones aside: they are
	// left alone), for the summary to name; objects the level of each workload.
	levels  map[api.Level]bool
	objects map[string]api.Level
}

// LevelText names the level the violations are counted at: the one level every workload
// targets, or their namespaces' levels when those differ; def when there were none.
func (t *Tally) LevelText(def api.Level) string {
	switch len(t.levels) {
	case 0:
		return string(def)
	case 1:
		for l := range t.levels {
			return string(l)
		}
	}
	var ls []string
	for _, l := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		if t.levels[l] {
			ls = append(ls, string(l))
		}
	}
	return "their namespaces' levels (" + strings.Join(ls, ", ") + ")"
}

// LevelOf is the level the violations of object (Kind/namespace/name) are counted at: its
// target (its namespace's label can set it), else def.
func (t *Tally) LevelOf(object string, def api.Level) api.Level {
	if l, ok := t.objects[object]; ok {
		return l
	}
	return def
}

// AddPods counts the workloads of one file by the levels they pass.
func (t *Tally) AddPods(pods []fixers.PodSummary) {
	if t.PassingBefore == nil {
		t.PassingBefore, t.PassingAfter = map[string]int{}, map[string]int{}
		for _, l := range []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted} {
			t.PassingBefore[string(l)], t.PassingAfter[string(l)] = 0, 0
		}
	}
	for _, p := range pods {
		if p.Target.Outside {
			t.Outside++
			continue
		}
		if l := p.Target.Level; l != "" && l != api.LevelPrivileged {
			if t.levels == nil {
				t.levels, t.objects = map[api.Level]bool{}, map[string]api.Level{}
			}
			t.levels[l] = true
			t.objects[p.Object] = l
		}
		for l, ok := range p.Before {
			if ok {
				t.PassingBefore[string(l)]++
			}
		}
		for l, ok := range p.After {
			if ok {
				t.PassingAfter[string(l)]++
			}
		}
	}
}

// Failing counts the remaining violations that fail the run, by failOn (--fail-on).
func (t *Tally) Failing(failOn string) int {
	switch failOn {
	case FailOnNever:
		return 0
	case FailOnUnexempted:
		return t.Remaining - t.Accepted - t.Exempted
	}
	return t.Remaining
}

// ExemptTarget reports whether the admission config exempts a workload.
func ExemptTarget(pods []fixers.PodSummary, object string) bool {
	for _, p := range pods {
		if p.Object == object && p.Target.Exempt {
			return true
		}
	}
	return false
}

// ExemptFrom reports whether a violation is on an object exempt from the fixer that answers
// it (or from every fixer).
func ExemptFrom(pods []fixers.PodSummary, f fixers.Report) bool {
	for _, p := range pods {
		if p.Object != f.Object || p.Exempt == nil {
			continue
		}
		if len(p.Exempt.Fixers) == 0 || (f.Fixer != "" && p.Exempt.Covers(f.Fixer)) {
			return true
		}
	}
	return false
}
