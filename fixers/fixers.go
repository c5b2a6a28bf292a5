package fixers

import (
	"fmt"
	"sort"
	"strings"
)

// All is every fixer, in the order they run. Order matters only for the order of the keys
// they add (changes are merged per node, and no fixer depends on another's output); this
// one reads like most hand-written securityContexts.
var All = []*Fixer{
	RunAsNonRoot,
	Seccomp,
	NoPrivilegeEscalation,
	Capabilities,
	ReadOnlyRoot,
	AppArmor,
	ProcMount,
}

// ByID returns the fixer with that ID.
func ByID(id string) *Fixer {
	for _, f := range All {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Select resolves --fixers and --skip into the set of fixers to run. An empty only means
// the default set.
func Select(only, skip []string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, f := range All {
		if f.Default && len(only) == 0 {
			set[f.ID] = true
		}
	}
	for _, id := range only {
		if ByID(id) == nil {
			return nil, unknownFixer(id)
		}
		set[id] = true
	}
	for _, id := range skip {
		if ByID(id) == nil {
			return nil, unknownFixer(id)
		}
		delete(set, id)
	}
	return set, nil
}

func unknownFixer(id string) error {
	ids := make([]string, 0, len(All))
	for _, f := range All {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	return fmt.Errorf("unknown fixer %q (known: %s; see 'psafix fixers')", id, strings.Join(ids, ", "))
}
