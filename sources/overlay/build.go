package overlay

import (
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// OriginAnnotation is where kustomize records the file a built resource came from.
const OriginAnnotation = "config.kubernetes.io/origin"

// Build builds the kustomization in dir in-process with kustomize's own API (krusty), as
// "kustomize build" does, with origin annotations on every resource. A kustomization with
// remote resources cannot be built offline: the error says so.
func Build(dir string) ([]byte, error) {
	kf := File(dir)
	if kf == "" {
		return nil, fmt.Errorf("no kustomization.yaml in %s", dir)
	}
	k, err := Read(kf)
	if err != nil {
		return nil, err
	}
	if len(k.Remote) > 0 {
		return nil, fmt.Errorf("remote resource %s cannot be fetched offline: the overlay is not built (its local files are checked)", k.Remote[0])
	}
	abs, err := filepath.Abs(kf)
	if err != nil {
		return nil, err
	}
	fs := &originFS{FileSystem: filesys.MakeFsOnDisk(), top: abs}
	opts := krusty.MakeDefaultOptions()
	m, err := krusty.MakeKustomizer(opts).Run(fs, filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// originFS is the disk, with buildMetadata: [originAnnotations] added to the top
// kustomization as it is read (never written).
type originFS struct {
	filesys.FileSystem
	top string
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if abs, _ := filepath.Abs(path); abs != f.top {
		return data, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil || m == nil {
		return data, nil
	}
	meta, _ := m["buildMetadata"].([]any)
	for _, x := range meta {
		if x == "originAnnotations" {
			return data, nil
		}
	}
	m["buildMetadata"] = append(meta, "originAnnotations")
	return yaml.Marshal(m)
}

// Origin reads a built object's origin annotation: the file it came from, relative to the
// overlay ("" when unknown).
func Origin(annotations map[string]string) string {
	v := annotations[OriginAnnotation]
	if v == "" {
		return ""
	}
	var o struct {
		Path string `yaml:"path"`
		Repo string `yaml:"repo"`
	}
	if yaml.Unmarshal([]byte(v), &o) != nil {
		return ""
	}
	if o.Repo != "" {
		return strings.TrimSpace(o.Repo + " " + o.Path)
	}
	return o.Path
}
