package kio

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Workload is an object in a document that carries a pod spec.
type Workload struct {
	APIVersion, Kind, Name, Namespace string
	// Object is the object's mapping (the document root, or an item of a List).
	Object *yaml.Node
	// Template is the mapping that holds the pod's "metadata" and "spec": the object itself
	// for a Pod, "spec.template" for a Deployment.
	Template *yaml.Node
	// Spec is the pod spec mapping.
	Spec *yaml.Node
	// Path leads from the document root to Template, as keys and sequence indexes.
	Path []any
	// Item is the index of the object in its List, or -1.
	Item int
}

// ID names the object the way kubectl does: Kind/name (namespace/name when set).
func (w *Workload) ID() string {
	name := w.Name
	if w.Namespace != "" {
		name = w.Namespace + "/" + name
	}
	return w.Kind + "/" + name
}

// PodMeta returns the pod template's metadata mapping, or nil.
func (w *Workload) PodMeta() *yaml.Node {
	_, m := Lookup(w.Template, "metadata")
	return m
}

// FindWorkloads returns every object with a pod spec in the document: Pods, the built-in
// workload kinds, CronJobs, PodTemplates, items of List kinds, and any object with
// spec.template.spec.containers (Argo Rollouts, DeploymentConfigs, Knative Services...).
func FindWorkloads(d *Document) []*Workload {
	if d.Root == nil {
		return nil
	}
	return findIn(d.Root, nil, -1)
}

func scalarAt(m *yaml.Node, path ...string) string {
	n := m
	for _, k := range path {
		_, n = Lookup(n, k)
		if n == nil {
			return ""
		}
	}
	if n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func findIn(obj *yaml.Node, path []any, item int) []*Workload {
	obj = Resolve(obj)
	if obj == nil || obj.Kind != yaml.MappingNode {
		return nil
	}
	apiVersion, kind := scalarAt(obj, "apiVersion"), scalarAt(obj, "kind")
	if apiVersion == "" || kind == "" {
		return nil
	}
	if strings.HasSuffix(kind, "List") {
		if _, items := Lookup(obj, "items"); items != nil && items.Kind == yaml.SequenceNode {
			var out []*Workload
			for i, it := range items.Content {
				out = append(out, findIn(it, append(append([]any{}, path...), "items", i), i)...)
			}
			return out
		}
	}
	w := &Workload{
		APIVersion: apiVersion, Kind: kind, Object: obj, Item: item,
		Name:      scalarAt(obj, "metadata", "name"),
		Namespace: scalarAt(obj, "metadata", "namespace"),
	}
	var tpath []string
	switch kind {
	case "Pod":
		tpath = nil
	case "CronJob":
		tpath = []string{"spec", "jobTemplate", "spec", "template"}
	case "PodTemplate":
		tpath = []string{"template"}
	default:
		tpath = []string{"spec", "template"}
	}
	t := obj
	for _, k := range tpath {
		_, t = Lookup(t, k)
		if t == nil || t.Kind != yaml.MappingNode {
			return nil
		}
	}
	_, spec := Lookup(t, "spec")
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil
	}
	if kind != "Pod" && kind != "PodTemplate" && !builtin[kind] {
		// Custom kinds count only when their template really is a pod template.
		if _, c := Lookup(spec, "containers"); c == nil || c.Kind != yaml.SequenceNode {
			return nil
		}
	}
	if _, c := Lookup(spec, "containers"); c == nil {
		return nil
	}
	w.Template, w.Spec = t, spec
	w.Path = append(append([]any{}, path...), anys(tpath)...)
	return []*Workload{w}
}

var builtin = map[string]bool{
	"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"ReplicationController": true, "Job": true, "CronJob": true,
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// ContainerFields are the pod spec fields that hold containers, in the order PSA visits them.
var ContainerFields = []string{"initContainers", "containers", "ephemeralContainers"}

// Containers returns the container mappings of a pod spec under field, resolved through
// aliases.
func Containers(spec *yaml.Node, field string) []*yaml.Node {
	_, s := Lookup(spec, field)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(s.Content))
	for i, c := range s.Content {
		out[i] = Resolve(c)
	}
	return out
}
