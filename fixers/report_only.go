package fixers

import "k8s.io/pod-security-admission/policy"

// Hint returns the advice for a check: the fixer that answers it, or the written reason
// psafix leaves it alone (the check's Hint).
func Hint(id policy.CheckID, enabled map[string]bool) (hint, fixer string) {
	for _, f := range All {
		for _, c := range f.Checks {
			if c == id {
				if enabled[f.ID] {
					return "not fixed automatically here: " + CheckOf(id).Hint, f.ID
				}
				return "fixable: enable the " + f.ID + " fixer", f.ID
			}
		}
	}
	return CheckOf(id).Hint, ""
}
