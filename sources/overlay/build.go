package overlay

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// OriginAnnotation is where kustomize records the file a built resource came from.
const OriginAnnotation = "config.kubernetes.io/origin"

// Note is something kustomize said about a kustomization file while building (a deprecated
// field), as psafix tells it: at the file, never on the process's standard error.
type Note struct {
	Path, Msg string
}

// Build builds the kustomization in dir in-process with kustomize's own API (krusty), as
// "kustomize build" does, with origin annotations on every resource. A kustomization with
// remote resources cannot be built offline: the error says so.
func Build(dir string) ([]byte, error) {
	out, _, err := BuildNotes(dir)
	return out, err
}

// BuildNotes is Build, and what kustomize said about the kustomization files it read (their
// deprecated fields), one note per file and field.
func BuildNotes(dir string) ([]byte, []Note, error) {
	return build(dir, nil)
}

// ErrRemote marks a kustomization that names a remote resource: it is not built offline
// (errors.Is; the error names the resource).
var ErrRemote = errors.New("cannot be fetched offline: the overlay is not built (its local files are checked)")

// build builds dir with the files of extra (absolute paths) read in place of the disk's:
// a proposed patch is built in memory before anything is written.
func build(dir string, extra map[string][]byte) ([]byte, []Note, error) {
	kf := File(dir)
	if kf == "" {
		return nil, nil, fmt.Errorf("no kustomization.yaml in %s", dir)
	}
	k, err := Read(kf)
	if err != nil {
		return nil, nil, err
	}
	if r := remote(k, map[string]bool{}); r != "" {
		// Never fetched: krusty would run git, which waits on the network.
		return nil, nil, fmt.Errorf("remote resource %s %w", r, ErrRemote)
	}
	abs, err := filepath.Abs(kf)
	if err != nil {
		return nil, nil, err
	}
	fs := &buildFS{FileSystem: filesys.MakeFsOnDisk(), top: abs, extra: map[string][]byte{}, seen: map[string]bool{}}
	for p, b := range extra {
		fs.extra[fs.key(p)] = b
	}
	opts := krusty.MakeDefaultOptions()
	var m interface{ AsYaml() ([]byte, error) }
	err = quietly(func() error {
		rm, err := krusty.MakeKustomizer(opts).Run(fs, filepath.Dir(abs))
		m = rm
		return err
	})
	if err != nil {
		return nil, fs.notes, err
	}
	out, err := m.AsYaml()
	return out, fs.notes, err
}

// buildFS is the disk as krusty reads it: buildMetadata: [originAnnotations] added to the
// top kustomization as it is read (never written), the files of extra read in place of the
// disk's, and the deprecated fields of every kustomization read noted.
type buildFS struct {
	filesys.FileSystem
	top   string
	extra map[string][]byte
	notes []Note
	seen  map[string]bool
}

func (f *buildFS) abs(path string) string {
	a, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	return a
}

// key names a file of extra: its folder with links resolved, as krusty names the files
// it reads.
func (f *buildFS) key(path string) string {
	a := f.abs(path)
	if d, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
		return filepath.Join(d, filepath.Base(a))
	}
	return a
}

// CleanedAbs is the disk's, for a file of extra too (the disk's resolves links, and fails
// on a file that is not there).
func (f *buildFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if k := f.key(path); f.extra[k] != nil {
		return filesys.ConfirmedDir(filepath.Dir(k)), filepath.Base(k), nil
	}
	return f.FileSystem.CleanedAbs(path)
}

func (f *buildFS) Exists(path string) bool {
	if _, ok := f.extra[f.key(path)]; ok {
		return true
	}
	return f.FileSystem.Exists(path)
}

func (f *buildFS) IsDir(path string) bool {
	if _, ok := f.extra[f.key(path)]; ok {
		return false
	}
	return f.FileSystem.IsDir(path)
}

func (f *buildFS) ReadFile(path string) ([]byte, error) {
	abs := f.abs(path)
	data, ok := f.extra[f.key(path)]
	if !ok {
		var err error
		if data, err = f.FileSystem.ReadFile(path); err != nil {
			return nil, err
		}
	}
	if isKustomizationName(filepath.Base(abs)) && !f.seen[abs] {
		f.seen[abs] = true
		var k types.Kustomization
		if k.Unmarshal(data) == nil {
			if msgs := k.CheckDeprecatedFields(); msgs != nil {
				for _, m := range *msgs {
					f.notes = append(f.notes, Note{Path: abs, Msg: "kustomize: " + strings.TrimPrefix(m, "# Warning: ")})
				}
			}
		}
	}
	if abs != f.top {
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

func isKustomizationName(n string) bool {
	for _, k := range Names {
		if n == k {
			return true
		}
	}
	return false
}

// stderrMu serializes the builds that borrow the process's standard error.
var stderrMu sync.Mutex

// quietly runs f with the process's standard error caught: kustomize prints its deprecation
// warnings there (fmt.Fprintf(os.Stderr)), where they would mix with psafix's own output
// and name no file. psafix tells them as notes on the kustomization file instead (buildFS);
// anything else written meanwhile is passed on.
func quietly(f func() error) error {
	stderrMu.Lock()
	defer stderrMu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		return f()
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	defer func() {
		os.Stderr = old
		w.Close()
		caught := <-done
		r.Close()
		sc := bufio.NewScanner(bytes.NewReader(caught))
		for sc.Scan() {
			if l := sc.Text(); !(strings.HasPrefix(l, "# Warning: ") && strings.Contains(l, "deprecated")) {
				fmt.Fprintln(old, l)
			}
		}
	}()
	return f()
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

// sortNotes orders notes by file, then message, without duplicates.
func sortNotes(ns []Note) []Note {
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].Path != ns[j].Path {
			return ns[i].Path < ns[j].Path
		}
		return ns[i].Msg < ns[j].Msg
	})
	out := ns[:0]
	for i, n := range ns {
		if i == 0 || n != ns[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// remote finds a remote resource anywhere below a kustomization: its own, those of the
// kustomizations it uses as resources and of its components, each read once.
func remote(k *Kustomization, seen map[string]bool) string {
	if len(k.Remote) > 0 {
		return k.Remote[0]
	}
	for _, r := range append(append([]string{}, k.Resources...), k.Components...) {
		kf := File(r)
		if kf == "" || seen[r] {
			continue
		}
		seen[r] = true
		if sub, err := Read(kf); err == nil {
			if x := remote(sub, seen); x != "" {
				return x
			}
		}
	}
	return ""
}
