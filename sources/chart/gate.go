package chart

import (
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// gates finds, for the places where a fix needs a securityContext that the chart renders
// without one, the values switch that turns it on: a false value (bitnami's
// containerSecurityContext.enabled) that, set to true, makes the rendering show a
// securityContext there. psafix never flips it (the author turned it off), but says so, at
// the switch's line: that is the one edit that lets a fix at the source go through.
type gates struct {
	c      *Chart
	r      *Rendering
	falses [][]string
	has    map[place]bool // the places r renders with a securityContext
	found  map[place][]string
	// all is the chart rendered with every false value true (nil: it does not render).
	all      *Rendering
	allTried bool
}

func newGates(c *Chart, r *Rendering, vals map[string]any) *gates {
	g := &gates{c: c, r: r, has: map[place]bool{}, found: map[place][]string{}}
	eachLeaf(nil, vals, func(p []string, x any) {
		if b, ok := x.(bool); ok && !b {
			g.falses = append(g.falses, p)
		}
	})
	for _, t := range r.Templates {
		eachSecurityContext(t, func(p place, sc *yaml.Node) {
			if sc != nil && !kio.IsNull(sc) {
				g.has[p] = true
			}
		})
	}
	return g
}

// of returns the switch that turns on the securityContext at p, or nil: none is needed (r
// renders one), none is found, or it takes more than one.
func (g *gates) of(p place) []string {
	if g.has[p] || len(g.falses) == 0 {
		return nil
	}
	if path, ok := g.found[p]; ok {
		return path
	}
	shows := func(set [][]string) bool {
		var out *Rendering
		if len(set) == len(g.falses) && g.allTried {
			if out = g.all; out == nil {
				return false
			}
		} else {
			extra := map[string]any{}
			for _, path := range set {
				setPath(extra, path, true)
			}
			var err error
			out, err = g.c.Render(extra)
			if len(set) == len(g.falses) {
				g.all, g.allTried = out, true // every switch on: rendered once for all places
			}
			if err != nil {
				return false
			}
		}
		found := false
		for _, t := range out.Templates {
			if t.Name == p.template {
				eachSecurityContext(t, func(q place, sc *yaml.Node) {
					found = found || (q == p && sc != nil && !kio.IsNull(sc))
				})
			}
		}
		return found
	}
	var path []string
	if set := g.falses; shows(set) {
		for len(set) > 1 {
			switch h := set[:len(set)/2]; {
			case shows(h):
				set = h
			case shows(set[len(set)/2:]):
				set = set[len(set)/2:]
			default:
				set = nil
			}
		}
		if len(set) == 1 {
			path = set[0]
		}
	}
	g.found[p] = path
	return path
}

// note reports the switch of the securityContext at p, at its line in the values file
// that sets it.
func (g *gates) note(res *Result, p place, path []string) {
	file := g.c.valuesPath()
	for _, f := range slices.Backward(g.c.fileOrder()) {
		if v, err := common.ReadValues(g.c.files[f]); err == nil && hasKey(v, path) {
			file = f
			break
		}
	}
	what := "the pod"
	if name, ok := strings.CutPrefix(p.scope, "container "); ok {
		what = fmt.Sprintf("container %q", name)
	}
	msg := fmt.Sprintf("%s is false: the chart renders no securityContext for %s of %s/%s unless it is true; psafix does not turn it on (set it to true and run psafix again to fix it at the source)", strings.Join(path, "."), what, p.kind, p.name)
	for _, n := range res.Notes {
		if n.Message == msg {
			return
		}
	}
	res.Notes = append(res.Notes, fixers.Report{Path: file, Line: max(keyLine(g.c.files[file], path), 1), Object: "values", Note: true, Message: msg})
}
