package fixers

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/api"
)

// Target is the level and version a workload must reach, and where that came from.
type Target struct {
	Level   api.Level
	Version api.Version
	// From says why: "flags", "namespace shop (pod-security.kubernetes.io/enforce)", ...
	From string
	// Outside marks a workload outside the namespaces the run selects (--namespace): with
	// Level privileged, it is neither fixed nor reported, not even with a note.
	Outside bool
	// Exempt marks a namespace or runtime class the API server's admission config exempts:
	// with Level privileged, PSA never checks such pods; From says why.
	Exempt bool
}

// Exemption keeps fixers away from an object, with a reason that is always reported.
type Exemption struct {
	// Fixers are the exempt fixer IDs; empty means all of them.
	Fixers []string
	Reason string
	// From says where the exemption is written.
	From string
}

// Covers reports whether the exemption keeps fixer id away.
func (x *Exemption) Covers(id string) bool {
	if x == nil {
		return false
	}
	if len(x.Fixers) == 0 {
		return true
	}
	for _, f := range x.Fixers {
		if f == id || f == "all" {
			return true
		}
	}
	return false
}

// Annotations that exempt one object, for teams that keep the reason next to the manifest.
const (
	SkipAnnotation       = "psafix.dev/skip"        // "all" or "fixer-id,fixer-id"
	SkipReasonAnnotation = "psafix.dev/skip-reason" // why; shown in every report
)

// annotationExemption reads the psafix.dev/skip annotation of an object.
func annotationExemption(ann map[string]string) *Exemption {
	v, ok := ann[SkipAnnotation]
	if !ok {
		return nil
	}
	x := &Exemption{Reason: ann[SkipReasonAnnotation], From: "annotation " + SkipAnnotation}
	if x.Reason == "" {
		x.Reason = "no reason given (set " + SkipReasonAnnotation + ")"
	}
	var unknown []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" && id != "all" {
			x.Fixers = append(x.Fixers, id)
			if !slices.ContainsFunc(All, func(f *Fixer) bool { return f.ID == id }) {
				unknown = append(unknown, id)
			}
		}
	}
	if len(unknown) > 0 {
		// "true", a sentence, a misspelt fixer: the author meant to keep psafix away, so it
		// keeps away entirely, and says why.
		x.Fixers = nil
		x.From += fmt.Sprintf(", which names no fixer psafix knows (%s): all fixers kept away; name fixers or all", strings.Join(unknown, ", "))
	}
	return x
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
