package fixers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Annotations that accept violations on one object: a documented decision (a node agent
// that needs hostPath), reported as accepted and not failing --fail-on unexempted. They do
// not keep fixers away (that is psafix.dev/skip).
const (
	AcceptAnnotation       = "psafix.dev/accept"        // "check-id,check-id", PSA's check IDs
	AcceptReasonAnnotation = "psafix.dev/accept-reason" // why; shown in every report
)

// Acceptance is the violations an object accepts.
type Acceptance struct {
	Checks []policy.CheckID
	Reason string
	// Unknown are the IDs in the annotation that are not PSA checks.
	Unknown []string
}

// Accepts reports whether the acceptance covers a violation. Accepting hostPathVolumes also
// accepts restrictedVolumes when hostPath is the only restricted volume type it names (at
// restricted, PSA reports a hostPath volume under restrictedVolumes instead).
func (a *Acceptance) Accepts(check policy.CheckID, detail string) bool {
	if a == nil {
		return false
	}
	if slices.Contains(a.Checks, check) {
		return true
	}
	if check == "restrictedVolumes" && slices.Contains(a.Checks, "hostPathVolumes") {
		return strings.HasSuffix(detail, `type "hostPath")`) || strings.HasSuffix(detail, `types "hostPath")`) ||
			strings.HasSuffix(detail, `type "hostPath"`) || strings.HasSuffix(detail, `types "hostPath"`)
	}
	return false
}

// acceptance reads an object's psafix.dev/accept annotation, nil when it has none.
func (e *Engine) acceptance(w *kio.Workload) *Acceptance {
	v, ok := annotationsOf(w.Object)[AcceptAnnotation]
	if !ok {
		return nil
	}
	a := &Acceptance{Reason: annotationsOf(w.Object)[AcceptReasonAnnotation]}
	if a.Reason == "" {
		a.Reason = "no reason given (set " + AcceptReasonAnnotation + ")"
	}
	known := e.eval.CheckIDs()
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !slices.Contains(known, policy.CheckID(id)) {
			a.Unknown = append(a.Unknown, id)
			continue
		}
		a.Checks = append(a.Checks, policy.CheckID(id))
	}
	return a
}

// unknownNote says which IDs of an acceptance psafix ignores.
func (a *Acceptance) unknownNote() string {
	return fmt.Sprintf("%s names %s, not a Pod Security check ID (see 'psafix fixers'): ignored", AcceptAnnotation, strings.Join(a.Unknown, ", "))
}

// annotationsOf returns an object's string annotations.
func annotationsOf(obj *yaml.Node) map[string]string {
	out := map[string]string{}
	_, meta := kio.Lookup(obj, "metadata")
	if meta == nil {
		return out
	}
	_, ann := kio.Lookup(kio.Resolve(meta), "annotations")
	if ann == nil {
		return out
	}
	ann = kio.Resolve(ann)
	if ann.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(ann.Content); i += 2 {
		if v := kio.Resolve(ann.Content[i+1]); v.Kind == yaml.ScalarNode {
			out[ann.Content[i].Value] = v.Value
		}
	}
	return out
}
