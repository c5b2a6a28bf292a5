package chart

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// probeKey starts the marker keys probing puts into values maps, and the marker strings it
// puts in place of scalar values: where a marker shows up in a rendered securityContext,
// the value it was put in feeds that part of the securityContext.
const probeKey = "psafixProbe"

// scalarMarker is a rendered scalar that is a marker: a scalar value's ("psafixProbe7"), or
// a map marker printed as text ("map[psafixProbe7:x]": a null value written as a scalar).
var scalarMarker = regexp.MustCompile(`^(?:` + probeKey + `(\d+)|map\[` + probeKey + `(\d+):x\])$`)

// place is a securityContext in a rendering: of a workload's pod spec (scope "pod") or of
// one of its containers ("containers[0]", and "container NAME").
type place struct {
	template, kind, name, scope string
}

// feeds are, for each securityContext of a rendering, the values that feed it: by path
// below the securityContext ("" for the securityContext itself, "seccompProfile",
// "runAsUser"), the values path whose map or scalar renders there.
type feeds map[place]map[string][]string

// of finds what feeds the field at sub (a path below the securityContext of p, split at
// dots): the values path of the deepest part of sub a values map or scalar feeds (feed),
// and the field's path in the values (path: feed and the keys of sub below it).
func (f feeds) of(p place, sub []string) (feed, path []string, ok bool) {
	at := f[p]
	for i := len(sub); i >= 0; i-- {
		if vp, ok := at[strings.Join(sub[:i], ".")]; ok {
			return vp, append(append([]string{}, vp...), sub[i:]...), true
		}
	}
	return nil, nil, false
}

// keys are the values paths that feed the field of p's securityContext (its first key:
// seccompProfile, runAsUser), shallowest first: what feeds the field or a part of it, else
// a map that feeds the whole securityContext.
func (f feeds) keys(p place, field string) []string {
	at := f[p]
	subs := make([]string, 0, len(at))
	for s := range at {
		if first, _, _ := strings.Cut(s, "."); first == field {
			subs = append(subs, s)
		}
	}
	if _, ok := at[""]; ok && len(subs) == 0 {
		subs = append(subs, "")
	}
	sort.Slice(subs, func(i, j int) bool {
		a, b := subs[i], subs[j]
		if a == "" || b == "" {
			return a == "" && b != ""
		}
		if da, db := strings.Count(a, "."), strings.Count(b, "."); da != db {
			return da < db
		}
		return a < b
	})
	var out []string
	for _, s := range subs {
		k := strings.Join(at[s], ".")
		below := false
		for _, o := range out {
			below = below || k == o || strings.HasPrefix(k, o+".")
		}
		if !below {
			out = append(out, k)
		}
	}
	return out
}

// values are the chart's values as a rendering sees them: its defaults (and its
// sub-charts') under the -f files.
func (c *Chart) values() (map[string]any, error) {
	ch, err := loader.Load(c.Dir)
	if err != nil {
		return nil, err
	}
	user := map[string]any{}
	mergeInto(user, c.userValues())
	vals, err := util.CoalesceValues(ch, user)
	if err != nil {
		return nil, err
	}
	return vals, nil
}

// probeBudget bounds the renderings one probe makes: a chart whose renderings break for
// many probes would otherwise take two renderings per value to halve its way through.
var probeBudget = 200

// probe finds, for every securityContext of the rendering r (the chart rendered with its
// values), the values that feed it (through toYaml, with, merge, or a scalar written into
// one field). Never a guess from key names: a chart that calls it hardening.pod is found as
// well as one that calls it podSecurityContext, and runAsUser: {{ .Values.uid }} as well as
// a whole map.
//
// First every map and null of the values gets a marker key, and the chart is rendered: a
// marker found in a securityContext names its map; a null printed as a scalar names its
// key. Then every scalar is replaced by a marker string (those that are true, non-zero or
// non-empty in one rendering, the others in another, so that an if the markers turn the
// other way hides no more than it must), found where a securityContext field is exactly
// that marker and, in r, holds the scalar's own value: a field an if shows only for the
// marker is not the scalar's. A probe that breaks the rendering is left out (the others are
// rendered again without it, halving the set), and after probeBudget renderings the rest
// are left out too: unprobed counts them. Fix verifies by rendering again what probing
// found: a values key that does not set the field it was found to feed writes nothing.
func (c *Chart) probe(r *Rendering) (feeds, int, error) {
	vals, err := c.values()
	if err != nil {
		return nil, 0, err
	}
	var maps, truthy, falsy [][]string
	scalar := map[string]string{} // a scalar's value as a rendering prints it, by path
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch x := v.(type) {
		case nil:
			if len(path) > 0 {
				maps = append(maps, path)
			}
		case map[string]any:
			if len(path) > 0 {
				maps = append(maps, path)
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(append(path[:len(path):len(path)], k), x[k])
			}
		case []any:
			// Lists are not probed: an item has no key to edit in place.
		default:
			s := fmt.Sprint(x)
			scalar[strings.Join(path, "\x00")] = s
			if s == "false" || s == "" || s == "0" {
				falsy = append(falsy, path)
			} else {
				truthy = append(truthy, path)
			}
		}
	}
	walk(nil, map[string]any(vals))
	// Helm drops a null from the values it renders with: the files' nulls (a key the
	// author left empty for the user to set) are probed as maps are, or with a marker
	// string where the chart's default is a scalar (Helm would not merge a map over it).
	defaults, _ := common.ReadValues(c.files[c.valuesPath()])
	asString := map[int]bool{}
	for _, name := range c.fileOrder() {
		raw, err := common.ReadValues(c.files[name])
		if err != nil {
			continue
		}
		eachLeaf(nil, map[string]any(raw), func(path []string, x any) {
			if x != nil {
				return
			}
			for _, m := range maps {
				if slices.Equal(m, path) {
					return
				}
			}
			if d, err := defaults.PathValue(strings.Join(path, ".")); err == nil && d != nil {
				if _, isMap := d.(map[string]any); !isMap {
					asString[len(maps)] = true
				}
			}
			maps = append(maps, path)
		})
	}
	// What r renders in each securityContext field, to check scalar findings against.
	shown := map[place]map[string]string{}
	for _, t := range r.Templates {
		if !strings.Contains(t.Text, "securityContext") {
			continue
		}
		eachSecurityField(t, func(p place, sub, k string, v *yaml.Node) {
			if v != nil && v.Kind == yaml.ScalarNode {
				if shown[p] == nil {
					shown[p] = map[string]string{}
				}
				shown[p][join(sub, k)] = v.Value
			}
		})
	}
	found := feeds{}
	record := func(p place, sub string, vp []string) {
		if found[p] == nil {
			found[p] = map[string][]string{}
		}
		found[p][sub] = vp
	}
	renders, unprobed := 0, 0
	var try func(cands [][]string, marker func(i int) any, idx []int, keep func(p place, sub string, vp []string) bool)
	try = func(cands [][]string, marker func(i int) any, idx []int, keep func(p place, sub string, vp []string) bool) {
		if len(idx) == 0 {
			return
		}
		if renders >= probeBudget {
			unprobed += len(idx)
			return
		}
		renders++
		extra := map[string]any{}
		for _, i := range idx {
			setPath(extra, cands[i], marker(i))
		}
		out, err := c.Render(extra)
		if err != nil {
			if len(idx) > 1 {
				try(cands, marker, idx[:len(idx)/2], keep)
				try(cands, marker, idx[len(idx)/2:], keep)
			}
			return
		}
		for _, t := range out.Templates {
			if !strings.Contains(t.Text, probeKey) {
				continue // nothing to find: not parsed (a chart's CRDs are large)
			}
			eachSecurityField(t, func(p place, sub, k string, v *yaml.Node) {
				if strings.HasPrefix(k, probeKey) {
					// A marker key: the map it is in.
					if i, err := strconv.Atoi(strings.TrimPrefix(k, probeKey)); err == nil && i >= 0 && i < len(cands) && keep(p, sub, cands[i]) {
						record(p, sub, cands[i])
					}
					return
				}
				if v == nil || v.Kind != yaml.ScalarNode {
					return
				}
				if m := scalarMarker.FindStringSubmatch(v.Value); m != nil {
					if i, _ := strconv.Atoi(m[1] + m[2]); i < len(cands) && keep(p, join(sub, k), cands[i]) {
						record(p, join(sub, k), cands[i])
					}
				}
			})
		}
	}
	all := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	try(maps, func(i int) any {
		if asString[i] {
			return probeKey + strconv.Itoa(i)
		}
		return map[string]any{probeKey + strconv.Itoa(i): "x"}
	}, all(len(maps)),
		func(place, string, []string) bool { return true })
	// A scalar's finding stands where r shows the scalar's own value in that field (and a
	// field a scalar feeds is the scalar's, even inside a map another value feeds).
	ownValue := func(p place, sub string, vp []string) bool {
		v, ok := shown[p][sub]
		return ok && v == scalar[strings.Join(vp, "\x00")]
	}
	try(truthy, func(i int) any { return probeKey + strconv.Itoa(i) }, all(len(truthy)), ownValue)
	// The falsy scalars matter where r shows an explicit root (runAsUser: 0, runAsNonRoot:
	// false) that --fix-explicit-root may change, and are probed only then: markers in
	// place of every empty nameOverride break most charts' renderings, which costs
	// renderings to find.
	explicitRoot := false
	for _, at := range shown {
		explicitRoot = explicitRoot || at["runAsUser"] == "0" || at["runAsNonRoot"] == "false"
	}
	if explicitRoot {
		try(falsy, func(i int) any { return probeKey + strconv.Itoa(i) }, all(len(falsy)), ownValue)
	}
	return found, unprobed, nil
}

// eachLeaf calls f with the path and value of every value in v that is not a map, in the
// order of the sorted keys, and walks into the maps.
func eachLeaf(path []string, v map[string]any, f func(path []string, x any)) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := append(path[:len(path):len(path)], k)
		if m, ok := v[k].(map[string]any); ok {
			eachLeaf(p, m, f)
		} else {
			f(p, v[k])
		}
	}
}

func join(sub, k string) string {
	if sub == "" {
		return k
	}
	return sub + "." + k
}

// setPath puts v at path in m, creating maps on the way (over anything else there).
func setPath(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// eachSecurityField calls visit for every field of every pod's and container's
// securityContext in a rendered template, at every depth: sub is the path of the mapping
// that holds the field below the securityContext ("" for the securityContext itself), k its
// key and v its value.
func eachSecurityField(t Template, visit func(p place, sub, k string, v *yaml.Node)) {
	eachSecurityContext(t, func(p place, sc *yaml.Node) {
		var walk func(n *yaml.Node, sub string, depth int)
		walk = func(n *yaml.Node, sub string, depth int) {
			n = kio.Resolve(n)
			if n == nil || n.Kind != yaml.MappingNode || depth > 8 {
				return
			}
			for j := 0; j+1 < len(n.Content); j += 2 {
				k, v := n.Content[j].Value, kio.Resolve(n.Content[j+1])
				visit(p, sub, k, v)
				walk(v, join(sub, k), depth+1)
			}
		}
		walk(sc, "", 0)
	})
}

// eachSecurityContext calls visit with every pod's and container's place in a rendered
// template and its securityContext (nil when it has none).
func eachSecurityContext(t Template, visit func(p place, sc *yaml.Node)) {
	src := kio.NewSource([]byte(t.Text))
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			continue
		}
		for _, w := range kio.FindWorkloads(d) {
			look := func(m *yaml.Node, scope string) {
				_, sc := kio.Lookup(m, "securityContext")
				visit(place{t.Name, w.Kind, w.Name, scope}, sc)
			}
			look(w.Spec, "pod")
			for _, f := range kio.ContainerFields {
				for j, ctr := range kio.Containers(w.Spec, f) {
					look(ctr, f+"["+strconv.Itoa(j)+"]")
					if _, n := kio.Lookup(ctr, "name"); n != nil && n.Kind == yaml.ScalarNode {
						look(ctr, "container "+n.Value)
					}
				}
			}
		}
	}
}
