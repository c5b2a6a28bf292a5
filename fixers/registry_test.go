package fixers

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/policy"
)

var regKebabCase = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// TestRegistry keeps the fixer registry, the hints and the library's checks in step.
func TestRegistry(t *testing.T) {
	known := map[policy.CheckID]bool{}
	for _, c := range policy.DefaultChecks() {
		known[c.ID] = true
	}
	if len(known) == 0 {
		t.Fatal("the library defines no checks")
	}

	ids := map[string]bool{}
	answeredBy := map[policy.CheckID]string{}
	for i, f := range All {
		if f == nil {
			t.Errorf("All[%d] is nil", i)
			continue
		}
		if !regKebabCase.MatchString(f.ID) {
			t.Errorf("fixer ID %q is not kebab-case", f.ID)
		}
		if ids[f.ID] {
			t.Errorf("fixer ID %q is used twice", f.ID)
		}
		ids[f.ID] = true
		if strings.TrimSpace(f.Doc) == "" {
			t.Errorf("fixer %s has no Doc", f.ID)
		}
		if f.Fix == nil {
			t.Errorf("fixer %s has no Fix", f.ID)
		}
		if ByID(f.ID) != f {
			t.Errorf("ByID(%q) does not return the fixer", f.ID)
		}
		for _, id := range f.Checks {
			if !known[id] {
				t.Errorf("fixer %s answers %q, which is not a check of the library", f.ID, id)
			}
			if other, ok := answeredBy[id]; ok {
				t.Errorf("check %s is answered by both %s and %s", id, other, f.ID)
			}
			answeredBy[id] = f.ID
		}
	}
	if ByID("no-such-fixer") != nil {
		t.Error(`ByID("no-such-fixer") is not nil`)
	}

	// Every check of the library has one entry in the table, with a description and a hint.
	for id := range known {
		c := checks[id]
		if c == nil {
			t.Errorf("check %s has no entry in the table of checks (checks.go)", id)
			continue
		}
		if strings.TrimSpace(c.Hint) == "" || strings.TrimSpace(c.Description) == "" {
			t.Errorf("check %s has no hint or no description", id)
		}
		if hint, _ := Hint(id, DefaultOptions().Fixers); strings.TrimSpace(hint) == "" {
			t.Errorf("Hint(%s) is empty", id)
		}
	}
	for _, c := range Checks() {
		if !known[c.ID] {
			t.Errorf("the table of checks has an entry for %q, which is not a check of the library", c.ID)
		}
	}

	// Select.
	want := map[string]bool{}
	for _, f := range All {
		if f.Default {
			want[f.ID] = true
		}
	}
	if len(want) == 0 {
		t.Error("no fixer is on by default")
	}
	got, err := Select(nil, nil)
	if err != nil {
		t.Fatalf("Select(nil, nil): %v", err)
	}
	if a, b := regJoinSet(got), regJoinSet(want); a != b {
		t.Errorf("Select(nil, nil) = [%s], want the default set [%s]", a, b)
	}
	if a, b := regJoinSet(DefaultOptions().Fixers), regJoinSet(want); a != b {
		t.Errorf("DefaultOptions().Fixers = [%s], want the default set [%s]", a, b)
	}
	first := All[0].ID
	if got, err := Select([]string{first}, nil); err != nil || regJoinSet(got) != first {
		t.Errorf("Select([%s], nil) = [%s], %v; want [%s]", first, regJoinSet(got), err, first)
	}
	if got, err := Select(nil, []string{first}); err != nil || got[first] {
		t.Errorf("Select(nil, [%s]) = [%s], %v; want the default set without it", first, regJoinSet(got), err)
	}
	for _, c := range []struct{ only, skip []string }{
		{[]string{"no-such-fixer"}, nil},
		{nil, []string{"no-such-fixer"}},
		{[]string{first, "no-such-fixer"}, nil},
	} {
		if got, err := Select(c.only, c.skip); err == nil {
			t.Errorf("Select(%q, %q) = [%s], want an error", c.only, c.skip, regJoinSet(got))
		} else if !strings.Contains(err.Error(), "no-such-fixer") {
			t.Errorf("Select(%q, %q) error %q does not name the unknown fixer", c.only, c.skip, err)
		}
	}
}

func regJoinSet(m map[string]bool) string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
