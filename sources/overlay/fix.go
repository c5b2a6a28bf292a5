package overlay

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// PatchName is the file psafix adds to an overlay (PatchName with -2, -3... before the
// extension when a file of that name is not psafix's).
const PatchName = "psafix-patch.yaml"

// patchMarker opens the patch psafix writes: how a later run knows the file is its own, to
// edit it in place rather than add another.
const patchMarker = "# psafix-patch:"

const patchHeader = patchMarker + " the security fields that workloads built by this overlay need to pass\n" +
	"# the Pod Security Standards, for a base that lies outside it. Added by psafix --write; a\n" +
	"# later run edits this file in place. A field the base or the overlay sets is never here.\n"

// FixOptions are what Fix needs to know of the run.
type FixOptions struct {
	// Inside reports whether a file (an absolute path) lies within the paths given: a
	// workload built from such a file is fixed in that file, not by a patch.
	Inside func(abs string) bool
	// Name names a file (an absolute path) to the user.
	Name func(abs string) string
	// Pending are the files earlier fixes of this run propose (by absolute path), read in
	// place of the disk's: an overlay built on another is built with that one's patch.
	Pending map[string][]byte
}

// FixResult is what Fix found and would write.
type FixResult struct {
	// Kustomization is the overlay's kustomization file, as the user named its folder.
	Kustomization string
	// Files are the files to write: the patch (Old nil when it is new) and the edited
	// kustomization. Paths are as the user named the overlay.
	Files []*fixers.Result
	// Created marks the files of Files that do not exist yet.
	Created map[string]bool
	// Mode is the mode a new file gets: the kustomization's.
	Mode os.FileMode
	// Notes tell about the build (kustomize's deprecation warnings), the explicit choices a
	// patch keeps, and the risky edits it makes.
	Notes []fixers.Report
	// Built is the built overlay's check as it will be once Files are written, for the
	// workloads built from files outside the paths only (the others are fixed and reported
	// in their own files): Pods' Before is the build as it is, After with the patch.
	Built *fixers.Result
	// Err says why nothing is written: the overlay does not build (ErrRemote: a remote
	// base), or the patch would not build or would change more than security fields.
	Err error
}

// Fix fixes the workloads an overlay builds from a base outside the paths given, the
// kustomize way: it builds the overlay in-process, lets the engine fix the built workloads
// in memory, and writes the fields those fixes add into a strategic-merge patch in the
// overlay (PatchName, listed under patches: in its kustomization; psafix's own patch from an
// earlier run is edited in place). A change of a value the build already has (an explicit
// choice of the base or the overlay) is never made: it is reported, and a workload left
// failing by it gets no risky edit (the all-or-nothing rule of the fixers). The overlay is
// then built again with the proposed files in memory: the new build must differ from the
// old one only in security fields, and every workload patched in full must pass its level;
// otherwise Err says why and nothing is to be written.
func Fix(dir string, o FixOptions, e *fixers.Engine) (res *FixResult) {
	res = &FixResult{Created: map[string]bool{}, Mode: 0o644}
	defer func() {
		// A panic (in psafix or in kustomize) is a bug: reported, nothing written.
		if p := recover(); p != nil {
			res.Files, res.Built = nil, &fixers.Result{Path: res.Kustomization}
			res.Err = fmt.Errorf("psafix bug: %v: nothing written; please report it with the overlay", p)
		}
	}()
	kf := File(dir)
	res.Kustomization = kf
	if kf == "" {
		res.Err = fmt.Errorf("no kustomization.yaml in %s", dir)
		return res
	}
	if st, err := os.Stat(kf); err == nil {
		res.Mode = st.Mode().Perm()
	}
	b0, notes, err := build(dir, o.Pending)
	res.addNotes(notes, o)
	if err != nil {
		res.Err = err
		return res
	}
	fr0 := e.FixFile(kf, b0)
	if fr0.Err != nil {
		res.Err = fr0.Err
		return res
	}
	wls, err := workloadsOf(kf, b0)
	if err != nil {
		res.Err = err
		return res
	}
	outside := map[string]*builtWorkload{}
	for _, w := range wls {
		if w.origin != "" && !o.Inside(w.origin) {
			w.name = o.Name(w.origin)
			outside[w.key()] = w
		}
	}
	for _, ch := range fr0.Changes {
		if w := outside[strconv.Itoa(ch.Doc)+"\x00"+ch.Object]; w != nil {
			w.changes = append(w.changes, ch)
		}
	}
	k, err := Read(kf)
	if err != nil {
		res.Err = err
		return res
	}
	var fixed []map[string]any
	if fr0.New != nil {
		if fixed, err = decodeDocs(kf, fr0.New); err != nil {
			res.Err = err
			return res
		}
	}
	// The patch, one document per workload, in the order of the build.
	var docs []*kio.Map
	type riskyNote struct {
		fixers.Report
		doc   *kio.Map
		field string
		fixed map[string]any
	}
	var riskyNotes []riskyNote
	var patched []*builtWorkload
	for _, w := range wls {
		if outside[w.key()] != w || len(w.changes) == 0 {
			continue
		}
		kept := res.keep(w)
		if len(kept) == 0 {
			continue
		}
		w.complete = len(kept) == len(w.changes)
		doc, err := w.patch(k, kept, fixed[w.doc])
		if err != nil {
			res.Err = fmt.Errorf("%s: %v: nothing written", w.object, err)
			return res
		}
		docs = append(docs, doc)
		patched = append(patched, w)
		for _, ch := range kept {
			if risky(ch) {
				why := ch.Assumption
				if why == "" {
					why = "the image must run with it"
				}
				riskyNotes = append(riskyNotes, riskyNote{fixers.Report{Line: 1, Object: w.object + " (built, from " + w.name + ")", Container: ch.Container, Note: true,
					Message: "risky edit: " + ch.String() + " (assumed: " + why + ")"}, doc, ch.Field, fixed[w.doc]})
			}
		}
	}
	b1 := b0
	if len(docs) > 0 {
		if b1, err = res.propose(dir, kf, k, docs, o); err != nil {
			res.Files, res.Created = nil, map[string]bool{}
			res.Err = err
			b1 = b0
		}
	}
	fr1 := fr0
	if len(docs) > 0 && res.Err == nil {
		var err error
		if fr1, err = verify(e, fr0, b0, b1, patched); err != nil {
			res.Files, res.Created = nil, map[string]bool{}
			res.Err = err
			fr1 = fr0
		}
	}
	done := map[string]bool{}
	if len(res.Files) > 0 {
		for _, w := range patched {
			done[w.object] = true
		}
		// Each risky edit is named at its line in the patch.
		_, pdocs, _ := kio.ParseFile(res.Files[0].Path, res.Files[0].New)
		for _, n := range riskyNotes {
			n.Path = res.Files[0].Path
			for _, pd := range pdocs {
				if pd.Root != nil && sameObject(pd.Root, n.doc) {
					n.Line, n.Column = lineOf(pd.Root, n.field, n.fixed)
				}
			}
			res.Notes = append(res.Notes, n.Report)
		}
	}
	res.Built = builtResult(kf, fr0, fr1, outside, done)
	return res
}

// builtWorkload is a workload of the built overlay.
type builtWorkload struct {
	doc                              int
	object, apiVersion, kind, ns, nm string
	origin                           string // the file it came from, absolute
	name                             string // the origin as the user reads it
	changes                          []*fixers.Change
	// complete: the patch makes every change of the fix, so the build must reach what the
	// fix reaches in memory.
	complete bool
}

func (w *builtWorkload) key() string { return strconv.Itoa(w.doc) + "\x00" + w.object }

// workloadsOf finds the workloads of a build, with the file each came from.
func workloadsOf(kf string, built []byte) ([]*builtWorkload, error) {
	_, docs, err := kio.ParseFile(kf, built)
	if err != nil {
		return nil, err
	}
	dir, _ := filepath.Abs(filepath.Dir(kf))
	var out []*builtWorkload
	for i, d := range docs {
		for _, w := range kio.FindWorkloads(d) {
			bw := &builtWorkload{doc: i, object: w.ID(), apiVersion: w.APIVersion, kind: w.Kind, ns: w.Namespace, nm: w.Name}
			if o := Origin(annotationsOf(w.Object)); o != "" && !strings.Contains(o, " ") {
				bw.origin = filepath.Join(dir, o)
			}
			out = append(out, bw)
		}
	}
	return out, nil
}

// Origins maps each workload of a built overlay (by its ID) to the file it came from,
// as an absolute path.
func Origins(kf string, built []byte) map[string]string {
	out := map[string]string{}
	wls, _ := workloadsOf(kf, built)
	for _, w := range wls {
		if w.origin != "" {
			out[w.object] = w.origin
		}
	}
	return out
}

func annotationsOf(obj *yaml.Node) map[string]string {
	ann := map[string]string{}
	if a := kio.LookupPath(obj, "metadata", "annotations"); a != nil && a.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(a.Content); j += 2 {
			ann[a.Content[j].Value] = a.Content[j+1].Value
		}
	}
	return ann
}

func decodeDocs(path string, data []byte) ([]map[string]any, error) {
	_, docs, err := kio.ParseFile(path, data)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(docs))
	for i, d := range docs {
		if d.Root == nil {
			continue
		}
		v, err := kio.ToValue(d.Root)
		if err != nil {
			return nil, err
		}
		out[i], _ = v.(map[string]any)
	}
	return out, nil
}

// keep returns the changes a patch may make for a workload: never one of a value the build
// has (an explicit choice of the base or the overlay), nor the other changes of its fixer
// (a fixer's changes go together), nor a risky one when the workload is left failing.
func (res *FixResult) keep(w *builtWorkload) []*fixers.Change {
	partial, failing := map[string]bool{}, false
	for _, ch := range w.changes {
		if ch.Op == fixers.OpRemove || ch.Explicit {
			partial[ch.Fixer] = true
			failing = failing || len(ch.Checks) > 0
			field, what := strings.TrimPrefix(strings.TrimPrefix(ch.Field, ch.Scope), "."), "is "+ch.Old
			if ch.Op == fixers.OpRemove {
				field, what = field[:strings.LastIndexByte(field, '[')], "holds "+ch.Old
			}
			res.note(w, ch.Container, "explicit choice kept: "+field+" "+what+" in the build (the base or the overlay sets it); a patch never overrides it")
		}
	}
	var kept []*fixers.Change
	for _, ch := range w.changes {
		switch {
		case ch.Op == fixers.OpRemove || ch.Explicit:
		case partial[ch.Fixer]:
			res.note(w, ch.Container, "not patched: "+ch.String()+" (the rest of its fix is an explicit choice kept)")
		case failing && risky(ch):
			res.note(w, ch.Container, "risky edit not patched: "+ch.String()+" (the workload still fails for the explicit choices kept)")
		default:
			kept = append(kept, ch)
		}
	}
	return kept
}

// riskyField are the fields whose safety depends on what the image does at run time (see
// fixers/safety.go): all or nothing for a workload.
var riskyField = regexp.MustCompile(`\.(runAsUser|runAsGroup|runAsNonRoot|fsGroup|fsGroupChangePolicy|readOnlyRootFilesystem|capabilities\.(drop|add))(\[\d+\])?$`)

func risky(ch *fixers.Change) bool {
	return ch.Risky || riskyField.MatchString(ch.Field)
}

func (res *FixResult) note(w *builtWorkload, container, msg string) {
	res.Notes = append(res.Notes, fixers.Report{Path: res.Kustomization, Line: 1, Object: w.object + " (built, from " + w.name + ")", Container: container, Note: true, Message: msg})
}

func (res *FixResult) addNotes(ns []Note, o FixOptions) {
	for _, n := range sortNotes(ns) {
		res.Notes = append(res.Notes, fixers.Report{Path: o.Name(n.Path), Line: 1, Object: "kustomization", Note: true, Message: n.Msg})
	}
}

// patch is a workload's patch document: its identity as the overlay's patches see it (its
// name without the overlay's own prefix and suffix, which kustomize adds after patching)
// and the fields of the changes kept, read from the fixed build, with list items matched as
// strategic merge matches them (containers and volumes by name, mounts by mountPath).
func (w *builtWorkload) patch(k *Kustomization, kept []*fixers.Change, fixed map[string]any) (*kio.Map, error) {
	name := strings.TrimSuffix(strings.TrimPrefix(w.nm, k.NamePrefix), k.NameSuffix)
	meta := kio.M("name", kio.Str(name))
	ns := w.ns
	if k.Namespace != "" {
		// The overlay's namespace: is applied after its patches: the patch names the
		// namespace the workload has before, as its file or its folder's kustomization sets it.
		ns = originNamespace(w.origin, w.kind, name)
	}
	if ns != "" {
		meta.Set("namespace", kio.Str(ns))
	}
	doc := kio.M("apiVersion", kio.Str(w.apiVersion), "kind", kio.Str(w.kind), "metadata", meta)
	if fixed == nil {
		return nil, errors.New("psafix bug: no fixed build")
	}
	for _, ch := range kept {
		segs, err := parseField(ch.Field)
		if err != nil {
			return nil, err
		}
		if err := put(doc, fixed, segs); err != nil {
			return nil, fmt.Errorf("%s: %v", ch.Field, err)
		}
	}
	return doc, nil
}

// seg is a step of a field path: a key, or an index (key "" and index >= 0).
type seg struct {
	key   string
	index int
}

// parseField reads a field path as fixers.Change writes it (kio.ParseField) into segs.
func parseField(f string) ([]seg, error) {
	steps, err := kio.ParseField(f)
	if err != nil {
		return nil, err
	}
	out := make([]seg, len(steps))
	for i, s := range steps {
		if n, ok := s.(int); ok {
			out[i] = seg{index: n}
		} else {
			out[i] = seg{key: s.(string), index: -1}
		}
	}
	return out, nil
}

// mergeKey is the key strategic merge matches the items of a list by ("" for a list it
// replaces whole).
func mergeKey(list string) string {
	switch list {
	case "containers", "initContainers", "ephemeralContainers", "volumes", "env", "imagePullSecrets":
		return "name"
	case "volumeMounts":
		return "mountPath"
	case "volumeDevices":
		return "devicePath"
	}
	return ""
}

// put copies the value at path segs of src (the fixed object) into dst.
func put(dst *kio.Map, src map[string]any, segs []seg) error {
	if len(segs) == 0 || segs[0].index >= 0 {
		return errors.New("not a key")
	}
	k := segs[0].key
	v, ok := src[k]
	if !ok {
		return fmt.Errorf("no %q in the fixed build", k)
	}
	rest := segs[1:]
	if len(rest) == 0 {
		dst.Set(k, valueOf(v))
		return nil
	}
	if rest[0].index < 0 {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%q is not a mapping", k)
		}
		sub, ok := get(dst, k).(*kio.Map)
		if !ok {
			sub = kio.M()
			dst.Set(k, sub)
		}
		return put(sub, m, rest)
	}
	list, _ := v.([]any)
	i := rest[0].index
	if i >= len(list) {
		return fmt.Errorf("no item %d in %q", i, k)
	}
	item, isMap := list[i].(map[string]any)
	mk := mergeKey(k)
	if mk == "" || !isMap {
		// A list strategic merge replaces whole (capabilities.drop): as fixed.
		dst.Set(k, valueOf(v))
		return nil
	}
	id, ok := item[mk]
	if !ok {
		return fmt.Errorf("item %d of %q has no %s", i, k, mk)
	}
	dl, _ := get(dst, k).(kio.List)
	var target *kio.Map
	for _, it := range dl {
		if m, ok := it.(*kio.Map); ok && fmt.Sprint(plain(get(m, mk))) == fmt.Sprint(id) {
			target = m
		}
	}
	if target == nil {
		target = kio.M(mk, valueOf(id))
		dst.Set(k, append(dl, target))
	}
	if len(rest) == 1 {
		// A whole item (a volume added): all of it.
		for _, key := range sortedKeys(item) {
			target.Set(key, valueOf(item[key]))
		}
		return nil
	}
	return put(target, item, rest[1:])
}

func get(m *kio.Map, k string) kio.Value {
	v, _ := m.Get(k)
	return v
}

func plain(v kio.Value) any {
	switch x := v.(type) {
	case kio.Str:
		return string(x)
	case kio.Int:
		return int64(x)
	case kio.Bool:
		return bool(x)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// valueOf turns a decoded value into the editor's typed value (mapping keys sorted).
func valueOf(x any) kio.Value {
	switch v := x.(type) {
	case bool:
		return kio.Bool(v)
	case int64:
		return kio.Int(v)
	case int:
		return kio.Int(int64(v))
	case float64:
		if v == float64(int64(v)) {
			return kio.Int(int64(v))
		}
		return kio.Str(strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		return kio.Str(v)
	case []any:
		l := kio.List{}
		for _, it := range v {
			l = append(l, valueOf(it))
		}
		return l
	case map[string]any:
		m := kio.M()
		for _, k := range sortedKeys(v) {
			m.Set(k, valueOf(v[k]))
		}
		return m
	}
	return kio.Str(fmt.Sprint(x))
}

// propose writes the patch and the kustomization edit into res.Files and builds the overlay
// with them, in memory.
func (res *FixResult) propose(dir, kf string, k *Kustomization, docs []*kio.Map, o FixOptions) ([]byte, error) {
	ksrc, kdocs, err := kio.ParseFile(kf, mustRead(kf))
	if err != nil {
		return nil, err
	}
	var kdoc *kio.Document
	for _, d := range kdocs {
		if d.Root != nil {
			kdoc = d
			break
		}
	}
	if kdoc == nil || kio.Resolve(kdoc.Root).Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping: no patch added", kf)
	}
	st := kdoc.StyleAt(kio.Resolve(kdoc.Root))
	patchPath, old, err := ourPatch(kf, k)
	if err != nil {
		return nil, err
	}
	var data []byte
	if old == nil {
		var b bytes.Buffer
		b.WriteString(patchHeader)
		for i, d := range docs {
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(kio.RenderBlock(d, st))
		}
		// In the kustomization's line endings: a CRLF repository gets no LF file.
		data = bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte(ksrc.EOL))
		res.Created[patchPath] = true
	} else if data, err = editPatch(patchPath, old, docs, st); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, &fixers.Result{Path: patchPath, Old: old, New: data})

	// List the patch under patches: unless it is already.
	rel := filepath.Base(patchPath)
	listed := false
	if ps := kio.LookupPath(kdoc.Root, "patches"); ps != nil && ps.Kind == yaml.SequenceNode {
		for _, it := range ps.Content {
			if p := kio.ScalarAt(it, "path"); p == rel || p == "./"+rel {
				listed = true
			}
		}
	}
	extra := map[string][]byte{}
	for p, b := range o.Pending {
		extra[p] = b
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	extra[abs(patchPath)] = data
	if !listed {
		ed := kio.NewEditor(kdoc)
		ed.Append(kio.Resolve(kdoc.Root), []string{"patches"}, kio.M("path", kio.Str(rel)))
		if err := ed.Err(); err != nil {
			return nil, fmt.Errorf("%s: %v: no patch added", kf, err)
		}
		edits, err := ed.Edits()
		if err != nil {
			return nil, err
		}
		nk, err := kio.ApplyEdits(ksrc, edits)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, &fixers.Result{Path: kf, Old: ksrc.Data, New: nk})
		extra[abs(kf)] = nk
	}
	b1, _, err := build(dir, extra)
	if err != nil {
		return nil, fmt.Errorf("the overlay would not build with the patch (%v): nothing written", err)
	}
	return b1, nil
}

func mustRead(p string) []byte {
	b, _ := os.ReadFile(p)
	return b
}

// ourPatch finds the patch psafix wrote in an earlier run (a file of the overlay's folder
// that opens with patchMarker: listed under patches, or PatchName), with its bytes; or the
// name for a new one: PatchName, or PatchName-2... when a file of that name is not psafix's.
func ourPatch(kf string, k *Kustomization) (string, []byte, error) {
	dir := filepath.Dir(kf)
	absDir, _ := filepath.Abs(dir)
	cands := []string{}
	for _, p := range k.Patches {
		if filepath.Dir(p) == absDir {
			cands = append(cands, filepath.Join(dir, filepath.Base(p)))
		}
	}
	cands = append(cands, filepath.Join(dir, PatchName))
	for _, c := range cands {
		if b, err := os.ReadFile(c); err == nil && bytes.HasPrefix(b, []byte(patchMarker)) {
			return c, b, nil
		}
	}
	ext := filepath.Ext(PatchName)
	for i := 1; i < 100; i++ {
		name := PatchName
		if i > 1 {
			name = strings.TrimSuffix(PatchName, ext) + "-" + strconv.Itoa(i) + ext
		}
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			return p, nil, nil
		}
	}
	return "", nil, fmt.Errorf("no free name for psafix's patch in %s", dir)
}

// editPatch adds docs to psafix's own patch with the byte-faithful editor: into the
// document of the same object when there is one (comments kept), else as a new document.
func editPatch(path string, old []byte, docs []*kio.Map, st kio.Style) ([]byte, error) {
	src, pdocs, err := kio.ParseFile(path, old)
	if err != nil {
		return nil, err
	}
	var edits []kio.Edit
	var tail bytes.Buffer
	for _, d := range docs {
		var at *kio.Document
		for _, pd := range pdocs {
			if pd.Root != nil && sameObject(pd.Root, d) {
				at = pd
			}
		}
		if at == nil {
			tail.WriteString("---\n")
			tail.Write(kio.RenderBlock(d, st))
			continue
		}
		ed := kio.NewEditor(at)
		mergeInto(ed, kio.Resolve(at.Root), d)
		if err := ed.Err(); err != nil {
			return nil, err
		}
		es, err := ed.Edits()
		if err != nil {
			return nil, err
		}
		edits = append(edits, es...)
	}
	out, err := kio.ApplyEdits(src, edits)
	if err != nil {
		return nil, err
	}
	if tail.Len() > 0 {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, src.EOL...)
		}
		out = append(out, bytes.ReplaceAll(tail.Bytes(), []byte("\n"), []byte(src.EOL))...)
	}
	return out, nil
}

func sameObject(root *yaml.Node, d *kio.Map) bool {
	meta, _ := get(d, "metadata").(*kio.Map)
	if meta == nil {
		return false
	}
	return kio.ScalarAt(root, "kind") == fmt.Sprint(plain(get(d, "kind"))) &&
		kio.ScalarAt(root, "metadata", "name") == fmt.Sprint(plain(get(meta, "name"))) &&
		kio.ScalarAt(root, "metadata", "namespace") == strings.TrimPrefix(fmt.Sprint(plain(get(meta, "namespace"))), "<nil>")
}

// mergeInto adds what want has and node lacks, with the editor.
func mergeInto(ed *kio.Editor, node *yaml.Node, want *kio.Map) {
	for _, k := range want.Keys() {
		v := get(want, k)
		_, have := kio.Lookup(node, k)
		have = kio.Resolve(have)
		switch x := v.(type) {
		case *kio.Map:
			if have != nil && have.Kind == yaml.MappingNode {
				mergeInto(ed, have, x)
				continue
			}
		case kio.List:
			if have != nil && have.Kind == yaml.SequenceNode {
				mk := mergeKey(k)
				for _, it := range x {
					im, ok := it.(*kio.Map)
					if mk == "" || !ok {
						ed.AppendItem(have, it)
						continue
					}
					if n := findItem(have, mk, fmt.Sprint(plain(get(im, mk)))); n != nil {
						mergeInto(ed, n, im)
					} else {
						ed.AppendItem(have, it)
					}
				}
				continue
			}
		default:
			if have != nil && kio.ScalarIs(have, v) {
				continue
			}
		}
		ed.Set(node, []string{k}, v)
	}
}

func findItem(s *yaml.Node, key, id string) *yaml.Node {
	for _, it := range s.Content {
		if kio.ScalarAt(it, key) == id {
			return kio.Resolve(it)
		}
	}
	return nil
}

// verify checks the build with the patch against the build without: the same documents,
// differing only in the fields the fixers own, and every workload patched in full passing
// its level (one patched in part no worse than before).
func verify(e *fixers.Engine, before *fixers.Result, b0, b1 []byte, patched []*builtWorkload) (*fixers.Result, error) {
	_, d0, err := kio.ParseFile("build", b0)
	if err != nil {
		return nil, err
	}
	_, d1, err := kio.ParseFile("build", b1)
	if err != nil {
		return nil, err
	}
	if len(d0) != len(d1) {
		return nil, fmt.Errorf("the build with the patch has %d objects, not %d: nothing written", len(d1), len(d0))
	}
	for i := range d0 {
		if why := fixers.SameOutsideOwned(d0[i], d1[i], e.Opts.WritablePaths); why != "" {
			return nil, fmt.Errorf("the patch would change the build outside security fields (%s): nothing written", firstLine(why))
		}
	}
	after := e.FixFile("build", b1)
	pods := map[string]fixers.PodSummary{}
	for _, p := range after.Pods {
		pods[p.Object] = p
	}
	was := map[string]fixers.PodSummary{}
	for _, p := range before.Pods {
		was[p.Object] = p
	}
	for _, w := range patched {
		p, ok := pods[w.object]
		if !ok {
			return nil, fmt.Errorf("%s is missing from the build with the patch: nothing written", w.object)
		}
		for l, ok := range was[w.object].Before {
			if ok && !p.Before[l] {
				return nil, fmt.Errorf("the patch would make %s fail %s once built: nothing written", w.object, l)
			}
		}
		for l, ok := range was[w.object].After {
			if ok && w.complete && !p.Before[l] {
				return nil, fmt.Errorf("%s would still fail %s once built with the patch, which the fix passes: nothing written", w.object, l)
			}
		}
	}
	return after, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(l, ":")
}

// builtResult is the check of the built overlay as it will be, for the workloads built from
// files outside the paths: their violations after the patch (r1), their levels before (r0)
// and after.
func builtResult(kf string, r0, r1 *fixers.Result, outside map[string]*builtWorkload, patched map[string]bool) *fixers.Result {
	names := map[string]string{}
	for _, w := range outside {
		names[w.object] = w.object + " (built, from " + w.name + ")"
	}
	out := &fixers.Result{Path: kf}
	before := map[string]fixers.PodSummary{}
	for _, p := range r0.Pods {
		before[p.Object] = p
	}
	for _, p := range r1.Pods {
		n, ok := names[p.Object]
		if !ok {
			continue
		}
		q := p
		q.After = p.Before
		q.Before = before[p.Object].Before
		q.Fixed = patched[p.Object]
		if q.Fixed {
			out.Fixed++
		}
		q.Object, q.Line = n, 1
		out.Pods = append(out.Pods, q)
		out.Workloads++
	}
	for _, f := range r1.Before {
		if n, ok := names[f.Object]; ok {
			// What remains is what psafix --write leaves: no longer "fixable".
			f.Object, f.Line, f.Column, f.Fixable = n, 1, 0, false
			if strings.HasPrefix(f.Hint, "fixable") {
				f.Hint = "not patched: see the notes on this workload"
			}
			out.Remaining = append(out.Remaining, f)
		}
	}
	return out
}

// lineOf finds the key a change's field path leads to in a patch document (list items
// matched as put placed them), or the deepest one found: its line and column.
func lineOf(root *yaml.Node, field string, fixed map[string]any) (int, int) {
	segs, err := parseField(field)
	line, col := root.Line, root.Column
	if err != nil {
		return line, col
	}
	n := kio.Resolve(root)
	var src any = fixed
	for i := 0; i < len(segs); i++ {
		sg := segs[i]
		if sg.index >= 0 {
			return line, col // a list replaced whole (capabilities.drop): at its key
		}
		key, v := kio.Lookup(n, sg.key)
		if v == nil {
			return line, col
		}
		line, col = key.Line, key.Column
		m, _ := src.(map[string]any)
		src = m[sg.key]
		n = kio.Resolve(v)
		if i+1 < len(segs) && segs[i+1].index >= 0 && n.Kind == yaml.SequenceNode {
			mk := mergeKey(sg.key)
			l, _ := src.([]any)
			if mk == "" || segs[i+1].index >= len(l) {
				return line, col
			}
			item, _ := l[segs[i+1].index].(map[string]any)
			it := findItem(n, mk, fmt.Sprint(item[mk]))
			if it == nil {
				return line, col
			}
			if k, _ := kio.Lookup(it, mk); k != nil {
				line, col = k.Line, k.Column
			}
			n, src = it, item
			i++
		}
	}
	return line, col
}

// originNamespace is the namespace an object has in the file it came from (kind and name as
// the file writes them), or else the one the kustomization of that file's folder sets.
func originNamespace(origin, kind, name string) string {
	data, err := os.ReadFile(origin)
	if err != nil {
		return ""
	}
	if _, docs, err := kio.ParseFile(origin, data); err == nil {
		for _, d := range docs {
			for _, obj := range kio.Objects(d.Root) {
				if kio.ScalarAt(obj, "kind") == kind && kio.ScalarAt(obj, "metadata", "name") == name {
					if ns := kio.ScalarAt(obj, "metadata", "namespace"); ns != "" {
						return ns
					}
				}
			}
		}
	}
	if kf := File(filepath.Dir(origin)); kf != "" {
		if k, err := Read(kf); err == nil {
			return k.Namespace
		}
	}
	return ""
}

// AfterFix sets, in a check of the overlay (Check, named alike), the "after" of each built
// workload a patch is for: what psafix --write reaches, explicit choices kept (the
// engine's in-memory fix of the build would override them).
func (res *FixResult) AfterFix(fr *fixers.Result) {
	if res.Built == nil || fr == nil {
		return
	}
	after := map[string]fixers.PodSummary{}
	for _, p := range res.Built.Pods {
		after[p.Object] = p
	}
	for i, p := range fr.Pods {
		if q, ok := after[p.Object]; ok {
			fr.Pods[i].After, fr.Pods[i].Fixed = q.After, q.Fixed
		}
	}
}
