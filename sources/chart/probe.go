package chart

import (
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// probeKey starts the marker keys probing puts into values maps: where a marker shows up
// in a rendered securityContext, the map it was put in feeds that securityContext.
const probeKey = "psafixProbe"

// place is a securityContext in a rendering: of a workload's pod spec (scope "pod") or of
// one of its containers ("containers[0]").
type place struct {
	template, kind, name, scope string
}

// probe finds, for every securityContext of the rendering, the values map that feeds it
// (through toYaml, with, merge...): every map and null of the values gets a marker key,
// the chart is rendered, and each marker found in a securityContext names its map. Never a
// guess from key names: a chart that calls it hardening.pod is found as well as one that
// calls it podSecurityContext. A probe that breaks the rendering is left out (the others
// are rendered again without it, halving the set).
func (c *Chart) probe() (map[place][]string, error) {
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
	var cands [][]string
	var walk func(path []string, v any)
	walk = func(path []string, v any) {
		switch x := v.(type) {
		case nil:
			if len(path) > 0 {
				cands = append(cands, path)
			}
		case map[string]any:
			if len(path) > 0 {
				cands = append(cands, path)
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(append(path[:len(path):len(path)], k), x[k])
			}
		}
	}
	walk(nil, map[string]any(vals))
	found := map[place][]string{}
	var try func(idx []int)
	try = func(idx []int) {
		if len(idx) == 0 {
			return
		}
		extra := map[string]any{}
		for _, i := range idx {
			setPath(extra, cands[i], map[string]any{probeKey + strconv.Itoa(i): "x"})
		}
		r, err := c.Render(extra)
		if err != nil {
			if len(idx) > 1 {
				try(idx[:len(idx)/2])
				try(idx[len(idx)/2:])
			}
			return
		}
		for _, t := range r.Templates {
			findProbes(t, func(p place, i int) {
				if i >= 0 && i < len(cands) {
					found[p] = cands[i]
				}
			})
		}
	}
	all := make([]int, len(cands))
	for i := range all {
		all[i] = i
	}
	try(all)
	return found, nil
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

// findProbes calls found for every marker in a securityContext of a rendered template.
func findProbes(t Template, found func(place, int)) {
	src := kio.NewSource([]byte(t.Text))
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			continue
		}
		for _, w := range kio.FindWorkloads(d) {
			look := func(m *yaml.Node, scope string) {
				_, sc := kio.Lookup(m, "securityContext")
				if sc == nil || sc.Kind != yaml.MappingNode {
					return
				}
				for j := 0; j+1 < len(sc.Content); j += 2 {
					if k := sc.Content[j].Value; strings.HasPrefix(k, probeKey) {
						if n, err := strconv.Atoi(strings.TrimPrefix(k, probeKey)); err == nil {
							found(place{t.Name, w.Kind, w.Name, scope}, n)
						}
					}
				}
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
