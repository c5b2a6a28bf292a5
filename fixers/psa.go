package fixers

import (
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Finding is a failed PSA check, with PSA's own reason and detail.
type Finding struct {
	ID     policy.CheckID
	Reason string
	Detail string
}

// Evaluator runs the checks of k8s.io/pod-security-admission one by one, so that each
// failure keeps its check ID (the library's own evaluator aggregates them away). Which
// checks apply at a level and version follows the library's registry exactly: the newest
// revision of each check not newer than the version, and restricted checks overriding the
// baseline ones they name. A test compares it with policy.NewEvaluator on the upstream
// fixtures.
type Evaluator struct {
	checks []policy.Check
	cache  sync.Map // api.LevelVersion -> []versioned: a handful of levels, asked per pod
}

// NewEvaluator returns an evaluator over the library's default checks.
func NewEvaluator() *Evaluator {
	return &Evaluator{checks: policy.DefaultChecks()}
}

type versioned struct {
	id    policy.CheckID
	check policy.VersionedCheck
}

// applicable returns the check revisions that apply at lv, sorted by ID.
func (e *Evaluator) applicable(lv api.LevelVersion) []versioned {
	if v, ok := e.cache.Load(lv); ok {
		return v.([]versioned)
	}
	out := e.pick(lv)
	e.cache.Store(lv, out)
	return out
}

func (e *Evaluator) pick(lv api.LevelVersion) []versioned {
	if lv.Level == api.LevelPrivileged {
		return nil
	}
	var out []versioned
	overridden := map[policy.CheckID]bool{}
	for _, c := range e.checks {
		if c.Level == api.LevelRestricted && lv.Level != api.LevelRestricted {
			continue
		}
		var pick *policy.VersionedCheck
		for i := range c.Versions {
			v := c.Versions[i]
			if lv.Version.Latest() || !lv.Version.Older(v.MinimumVersion) {
				pick = &c.Versions[i]
			}
		}
		if pick == nil {
			continue
		}
		out = append(out, versioned{c.ID, *pick})
		for _, o := range pick.OverrideCheckIDs {
			overridden[o] = true
		}
	}
	kept := out[:0]
	for _, v := range out {
		if !overridden[v.id] {
			kept = append(kept, v)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].id < kept[j].id })
	return kept
}

// Evaluate returns the checks the pod fails at lv.
func (e *Evaluator) Evaluate(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Finding {
	var out []Finding
	for _, v := range e.applicable(lv) {
		if r := v.check.CheckPod(meta, spec); !r.Allowed {
			out = append(out, Finding{ID: v.id, Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail})
		}
	}
	return out
}

// CheckIDs lists every check ID the library defines.
func (e *Evaluator) CheckIDs() []policy.CheckID {
	var out []policy.CheckID
	for _, c := range e.checks {
		out = append(out, c.ID)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
