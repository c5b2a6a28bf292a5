// Package overlay makes kustomize kustomizations a source psafix understands: it finds the
// files a kustomization uses as patches, so that they are never fixed as if they were whole
// workloads (a strategic-merge patch filled with pod-level defaults overrides its base's
// choices once built).
//
// Kustomize's code is linked only here (and into the command that wires it in): fixers/ and
// kio/ never import it.
package overlay

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Names are the file names kustomize reads a kustomization from, in its order.
var Names = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// File returns the kustomization file of dir, or "" when dir holds none.
func File(dir string) string {
	for _, n := range Names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// Kustomization is what psafix reads of a kustomization file.
type Kustomization struct {
	Path string
	// Patches are the files it names as patches (patches, patchesStrategicMerge,
	// patchesJson6902, and those of its components), as absolute, clean paths.
	Patches []string
	// Resources are the local files and folders it names under resources (and bases).
	Resources []string
	// Remote are the resources it names that are not local (URLs, git repositories).
	Remote []string
	// NamePrefix, NameSuffix and Namespace are what it sets on every resource (after its
	// patches are applied).
	NamePrefix, NameSuffix, Namespace string
	// Components are the local components it uses (folders, absolute).
	Components []string
	// Component marks a kustomize Component (kind: Component): used by others, never built
	// alone.
	Component bool
}

// Read reads a kustomization file. Components are followed (each once) for their patches.
func Read(path string) (*Kustomization, error) {
	return read(path, map[string]bool{})
}

func read(path string, seen map[string]bool) (*Kustomization, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	seen[abs] = true
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	var k struct {
		Resources             []string `yaml:"resources"`
		Bases                 []string `yaml:"bases"`
		Components            []string `yaml:"components"`
		PatchesStrategicMerge []string `yaml:"patchesStrategicMerge"`
		Patches               []struct {
			Path string `yaml:"path"`
		} `yaml:"patches"`
		PatchesJSON6902 []struct {
			Path string `yaml:"path"`
		} `yaml:"patchesJson6902"`
		NamePrefix string `yaml:"namePrefix"`
		NameSuffix string `yaml:"nameSuffix"`
		Namespace  string `yaml:"namespace"`
		Kind       string `yaml:"kind"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	dir := filepath.Dir(abs)
	out := &Kustomization{Path: path, NamePrefix: k.NamePrefix, NameSuffix: k.NameSuffix, Namespace: k.Namespace, Component: k.Kind == "Component"}
	local := func(p string) (string, bool) {
		if p == "" || isRemote(p) {
			return "", false
		}
		if filepath.IsAbs(p) {
			return filepath.Clean(p), true
		}
		return filepath.Join(dir, p), true
	}
	for _, p := range k.PatchesStrategicMerge {
		// An entry is a file name or an inline patch (several lines).
		if q, ok := local(p); ok && !containsNewline(p) {
			out.Patches = append(out.Patches, q)
		}
	}
	for _, p := range k.Patches {
		if q, ok := local(p.Path); ok {
			out.Patches = append(out.Patches, q)
		}
	}
	for _, p := range k.PatchesJSON6902 {
		if q, ok := local(p.Path); ok {
			out.Patches = append(out.Patches, q)
		}
	}
	for _, r := range append(append([]string{}, k.Resources...), k.Bases...) {
		if q, ok := local(r); ok {
			out.Resources = append(out.Resources, q)
		} else if r != "" {
			out.Remote = append(out.Remote, r)
		}
	}
	for _, c := range k.Components {
		q, ok := local(c)
		if !ok {
			if c != "" {
				out.Remote = append(out.Remote, c)
			}
			continue
		}
		out.Components = append(out.Components, q)
		f := File(q)
		if f == "" {
			continue
		}
		if fa, _ := filepath.Abs(f); seen[fa] {
			continue
		}
		ck, err := read(f, seen)
		if err != nil {
			continue
		}
		out.Patches = append(out.Patches, ck.Patches...)
	}
	return out, nil
}

// isRemote reports whether a resource is fetched from elsewhere (kustomize's remote forms:
// URLs, git@, github.com/...).
func isRemote(p string) bool {
	for _, pre := range []string{"http://", "https://", "git@", "git::", "ssh://", "github.com/", "gitlab.com/", "bitbucket.org/"} {
		if len(p) >= len(pre) && p[:len(pre)] == pre {
			return true
		}
	}
	return false
}

func containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return true
		}
	}
	return false
}

// PatchFinder tells which files kustomizations use as patches: the kustomizations of the
// folders of the files asked about and of every folder above them, each read once.
type PatchFinder struct {
	dirs    map[string]bool
	patches map[string]string // patch file -> the kustomization naming it
	built   map[string]bool   // the overlays the run builds and checks (Built)
}

// NewPatchFinder returns an empty finder.
func NewPatchFinder() *PatchFinder {
	return &PatchFinder{dirs: map[string]bool{}, patches: map[string]string{}, built: map[string]bool{}}
}

// Built records that the run builds and checks the overlay in dir: the notes on its
// patches then say so, instead of telling how to.
func (f *PatchFinder) Built(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		f.built[abs] = true
	}
}

// Note is the note on a patch file that kustomization k names (PatchOf), with paths named
// by name.
func (f *PatchFinder) Note(k string, name func(string) string) string {
	how := fmt.Sprintf("psafix check %s builds the overlay and checks it", name(filepath.Dir(k)))
	if abs, err := filepath.Abs(filepath.Dir(k)); err == nil && f.built[abs] {
		how = "checked in the overlay's build"
	}
	return fmt.Sprintf("a kustomize patch (named in %s), not a whole workload: left alone; %s", name(k), how)
}

// Look reads the kustomizations in dir and every folder above it (once each).
func (f *PatchFinder) Look(dir string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return
	}
	for d := abs; !f.dirs[d]; {
		f.dirs[d] = true
		if kf := File(d); kf != "" {
			if k, err := Read(kf); err == nil {
				for _, p := range k.Patches {
					if _, ok := f.patches[p]; !ok {
						f.patches[p] = kf
					}
				}
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
}

// PatchOf returns the kustomization that names path as a patch ("" when none of those
// looked at does).
func (f *PatchFinder) PatchOf(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return f.patches[abs]
}
