package chart

import (
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// The lists a fix may add an item to, besides a securityContext's: a pod's volumes (the
// emptyDir a read-only root needs) and a container's volumeMounts. Their feeds are kept
// under these keys, which no securityContext field has.
const (
	volumesFeed      = "@volumes"
	volumeMountsFeed = "@volumeMounts"
)

// listBudget bounds the renderings probeLists makes.
const listBudget = 32

// probeLists finds the values lists that feed the pods' volumes and the containers'
// volumeMounts (helm create's volumes: [] and volumeMounts: []): every list of the values
// gets a marker item ({name: psafixProbeN}) after its own, and an item with that name
// rendered in volumes or volumeMounts names its list. A probe that breaks the rendering is
// left out, halving, within listBudget renderings.
func (c *Chart) probeLists(vals map[string]any, found feeds) {
	var lists [][]string
	var items [][]any
	eachLeaf(nil, vals, func(p []string, x any) {
		if l, ok := x.([]any); ok {
			lists, items = append(lists, p), append(items, l)
		}
	})
	renders := 0
	var try func(idx []int)
	try = func(idx []int) {
		if len(idx) == 0 || renders >= listBudget {
			return
		}
		renders++
		extra := map[string]any{}
		for _, i := range idx {
			l := append(append([]any{}, items[i]...), map[string]any{"name": probeKey + strconv.Itoa(i)})
			setPath(extra, lists[i], l)
		}
		out, err := c.Render(extra)
		if err != nil {
			if len(idx) > 1 {
				try(idx[:len(idx)/2])
				try(idx[len(idx)/2:])
			}
			return
		}
		for _, t := range out.Templates {
			if !strings.Contains(t.Text, probeKey) {
				continue
			}
			eachList(t, func(p place, key string, list *yaml.Node) {
				for _, it := range list.Content {
					_, n := kio.Lookup(kio.Resolve(it), "name")
					if n == nil || n.Kind != yaml.ScalarNode || !strings.HasPrefix(n.Value, probeKey) {
						continue
					}
					if i, err := strconv.Atoi(strings.TrimPrefix(n.Value, probeKey)); err == nil && i < len(lists) {
						if found[p] == nil {
							found[p] = map[string][]string{}
						}
						found[p][key] = lists[i]
					}
				}
			})
		}
	}
	idx := make([]int, len(lists))
	for i := range idx {
		idx[i] = i
	}
	try(idx)
}

// eachList calls visit with each pod's volumes and each container's volumeMounts in a
// rendered template.
func eachList(t Template, visit func(p place, key string, list *yaml.Node)) {
	src := kio.NewSource([]byte(t.Text))
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			continue
		}
		for _, w := range kio.FindWorkloads(d) {
			if _, l := kio.Lookup(w.Spec, "volumes"); l != nil && l.Kind == yaml.SequenceNode {
				visit(place{t.Name, w.Kind, w.Name, "pod"}, volumesFeed, l)
			}
			for _, f := range kio.ContainerFields {
				for j, ctr := range kio.Containers(w.Spec, f) {
					if _, l := kio.Lookup(ctr, "volumeMounts"); l != nil && l.Kind == yaml.SequenceNode {
						visit(place{t.Name, w.Kind, w.Name, f + "[" + strconv.Itoa(j) + "]"}, volumeMountsFeed, l)
					}
				}
			}
		}
	}
}

// listItem matches the field of an item added to a pod's volumes or a container's
// volumeMounts, below the change's scope.
var listItem = regexp.MustCompile(`^\.(volumes|volumeMounts)\[\d+\]$`)

// listFeedOf finds the values list that feeds the list a change adds an item to.
func listFeedOf(fs feeds, template string, ch *fixers.Change) (fedChange, bool) {
	m := listItem.FindStringSubmatch(strings.TrimPrefix(ch.Field, ch.Scope))
	if ch.Op != fixers.OpAppend || m == nil {
		return fedChange{}, false
	}
	scope, key := "pod", volumesFeed
	if m[1] == "volumeMounts" {
		if ch.ContainerField == "" {
			return fedChange{}, false
		}
		scope, key = ch.ContainerField+"["+strconv.Itoa(ch.ContainerIndex)+"]", volumeMountsFeed
	}
	vp, ok := fs[place{template, ch.Kind, ch.Name, scope}][key]
	if !ok {
		return fedChange{}, false
	}
	return fedChange{ch: ch, values: vp, path: vp, append: true}, true
}

// needsLists reports whether a change adds to a pod's volumes or a container's
// volumeMounts: only then are the values' lists probed.
func needsLists(cs []*fixers.Change) bool {
	for _, ch := range cs {
		if ch.Op == fixers.OpAppend && listItem.MatchString(strings.TrimPrefix(ch.Field, ch.Scope)) {
			return true
		}
	}
	return false
}

// sharedListOK reports whether every workload the values list of f feeds gets the same
// item from its own fix: a list that also feeds a workload that needs no such volume would
// give it one (an emptyDir over its /tmp), which no check asked for.
func sharedListOK(fs feeds, f fedChange, byWorkload map[string][]*fixers.Change) bool {
	want := strings.Join(f.path, "\x00")
	for p, at := range fs {
		for key, vp := range at {
			if !strings.HasPrefix(key, "@") || strings.Join(vp, "\x00") != want || strings.HasPrefix(p.scope, "container ") {
				continue
			}
			same := false
			for _, ch := range byWorkload[p.template+"\x00"+p.kind+"\x00"+p.name] {
				same = same || (ch.New == f.ch.New && listItem.MatchString(strings.TrimPrefix(ch.Field, ch.Scope)))
			}
			if !same {
				return false
			}
		}
	}
	return true
}
