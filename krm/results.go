package krm

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// fixGroup is one fix applied: what one fixer changed in one pod spec, container or pod
// template metadata.
type fixGroup struct {
	scope  string // field path of the pod spec, the container or the metadata
	object string // the workload, named in the message when it is an item of a List
	item   bool
	fixer  string
	paths  []string         // field paths of the changes
	texts  []string         // the changes, relative to scope
	checks []policy.CheckID // the fixer's checks that failed before
}

// fixResults adds an info result per fix applied, read from the engine's record of its
// changes: per workload, per container (or the pod spec) and per fixer, with the changes it
// made and the checks it answered.
func (f *function) fixResults(rl *framework.ResourceList, it *itemInfo, changes []*fixers.Change) {
	var groups []*fixGroup
	byKey := map[string]*fixGroup{}
	for _, c := range sortChanges(changes) {
		k := c.Scope + "\x00" + c.Fixer
		g := byKey[k]
		if g == nil {
			g = &fixGroup{scope: c.Scope, object: c.Object, item: strings.HasPrefix(c.Field, "items["), fixer: c.Fixer, checks: c.Checks}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.paths = append(g.paths, changePath(c))
		g.texts = append(g.texts, changeText(c))
	}
	for _, g := range groups {
		msg := ""
		if g.item {
			msg = g.object + " "
		}
		if c := containerOf(changes, g.scope); c != "" {
			msg += fmt.Sprintf("container %q: ", c)
		}
		name := g.fixer
		if name == "" {
			name = "psafix"
		}
		msg += "fixed by " + name + ": " + strings.Join(g.texts, "; ")
		var checks []string
		for _, c := range g.checks {
			checks = append(checks, string(c))
		}
		f.add(rl, it, framework.Info, msg, g.fieldPath(), tags(strings.Join(checks, ","), g.fixer, ""))
	}
}

func containerOf(changes []*fixers.Change, scope string) string {
	for _, c := range changes {
		if c.Scope == scope {
			return c.Container
		}
	}
	return ""
}

func (g *fixGroup) fieldPath() string {
	if len(slices.Compact(slices.Clone(g.paths))) == 1 {
		return g.paths[0]
	}
	sc := g.scope + ".securityContext."
	for _, p := range g.paths {
		if !strings.HasPrefix(p, sc) {
			return g.scope
		}
	}
	return strings.TrimSuffix(sc, ".")
}

// rel is a change's field relative to what results name it by: the pod spec or the
// container, or for the pod template's metadata the template ("metadata.annotations[k]").
func rel(c *fixers.Change) string {
	base := c.Scope
	if c.ContainerField == "" && (base == "metadata" || strings.HasSuffix(base, ".metadata")) {
		base = strings.TrimSuffix(strings.TrimSuffix(base, "metadata"), ".")
	}
	if base == "" {
		return c.Field
	}
	return strings.TrimPrefix(strings.TrimPrefix(c.Field, base), ".")
}

// changePath is the field path a result gives a change: a securityContext field as a whole
// (securityContext.capabilities for an item added to capabilities.drop), an item added to a
// list, or the field.
func changePath(c *fixers.Change) string {
	r := rel(c)
	if after, ok := strings.CutPrefix(r, "securityContext."); ok {
		if i := strings.IndexAny(after, ".["); i >= 0 {
			return strings.TrimSuffix(c.Field, r) + "securityContext." + after[:i]
		}
	}
	return c.Field
}

// changeText says what a change did, relative to its scope.
func changeText(c *fixers.Change) string {
	r := rel(c)
	switch c.Op {
	case fixers.OpAppend:
		if i := strings.LastIndexByte(r, '['); i > 0 {
			r = r[:i]
		}
		return r + ": added " + c.New
	case fixers.OpRemove:
		return r + ": removed " + c.Old
	}
	return r + ": " + c.New
}

// sortChanges orders a record as results list it: by workload, then the pod template's
// metadata, the pod spec and each container (init, regular, ephemeral), and within each the
// securityContext fields by name, then the volumes and mounts.
func sortChanges(changes []*fixers.Change) []*fixers.Change {
	out := append([]*fixers.Change(nil), changes...)
	workload := map[string]int{}
	for _, c := range out {
		if _, ok := workload[c.Object+"\x00"+itemOf(c)]; !ok {
			workload[c.Object+"\x00"+itemOf(c)] = len(workload)
		}
	}
	scopeRank := func(c *fixers.Change) int {
		switch c.ContainerField {
		case "":
			if strings.HasSuffix(c.Scope, "metadata") {
				return 0
			}
			return 1
		}
		return 2 + slices.Index(kio.ContainerFields, c.ContainerField)*1_000_000 + c.ContainerIndex
	}
	keyOf := func(c *fixers.Change) (int, string) {
		r := rel(c)
		if after, ok := strings.CutPrefix(r, "securityContext."); ok {
			k, _, _ := strings.Cut(after, ".")
			k, _, _ = strings.Cut(k, "[")
			return 0, k
		}
		if strings.HasPrefix(r, "metadata.annotations[") {
			return 0, r
		}
		return 1, ""
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if wa, wb := workload[a.Object+"\x00"+itemOf(a)], workload[b.Object+"\x00"+itemOf(b)]; wa != wb {
			return wa < wb
		}
		if ra, rb := scopeRank(a), scopeRank(b); ra != rb {
			return ra < rb
		}
		ka, sa := keyOf(a)
		kb, sb := keyOf(b)
		if ka != kb {
			return ka < kb
		}
		return sa < sb
	})
	return out
}

// itemOf is the List item a change is in ("items[2]"), or "".
func itemOf(c *fixers.Change) string {
	if !strings.HasPrefix(c.Field, "items[") {
		return ""
	}
	i := strings.IndexByte(c.Field, ']')
	return c.Field[:i+1]
}

// reportMessage is a remaining violation as a result's message: the container, PSA's check
// ID, reason and detail, and the hint.
func reportMessage(r fixers.Report) string {
	var b strings.Builder
	if strings.HasPrefix(r.Field, "items[") {
		b.WriteString(r.Object + " ")
	}
	if r.Container != "" {
		fmt.Fprintf(&b, "container %q: ", r.Container)
	}
	b.WriteString(r.Detail())
	return b.String()
}
