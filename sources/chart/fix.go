package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// Fix fixes a chart at the source. It renders the chart, lets the engine fix each rendered
// workload in memory, and carries every change to a securityContext into the values map
// that feeds it (found by probing), in the values file that sets that map (the last -f file
// that does, else the chart's values.yaml), with the byte-faithful editor. It then renders
// again: the new rendering must differ from the old one only in security fields; if it does
// not, or the chart no longer renders, nothing is written and Result.Err says why. A
// change no values key feeds is reported at its template line with the snippet to add; a
// workload that keeps such a change gets its safe changes only (no risky edit that leaves
// it failing all the same).
func Fix(dir string, o Options, e *fixers.Engine) *Result {
	res := &Result{Dir: dir}
	c, r0 := res.loadRendered(dir, o)
	if c == nil {
		return res
	}
	type workload struct {
		t       Template
		kind    string
		name    string
		changes []*fixers.Change
	}
	var order []string
	byWorkload := map[string]*workload{}
	for _, t := range r0.Templates {
		fr := e.FixFile(t.Path, []byte(t.Text))
		for _, ch := range fr.Changes {
			k := t.Name + "\x00" + ch.Kind + "\x00" + ch.Name
			w := byWorkload[k]
			if w == nil {
				w = &workload{t: t, kind: ch.Kind, name: ch.Name}
				byWorkload[k] = w
				order = append(order, k)
			}
			w.changes = append(w.changes, ch)
		}
	}
	if len(order) == 0 {
		res.Rendered = remaining(checkRendering(r0, e))
		return res
	}
	feeds, unprobed, err := c.probe(r0)
	if err != nil {
		res.Err = fmt.Errorf("cannot probe the chart's values: %w", err)
		return res
	}
	res.unprobed(unprobed)
	vals, err := c.values()
	if err != nil {
		res.Err = fmt.Errorf("cannot read the chart's values: %w", err)
		return res
	}
	var changes []*fixers.Change
	changesBy := map[string][]*fixers.Change{}
	for _, k := range order {
		changes = append(changes, byWorkload[k].changes...)
		changesBy[k] = byWorkload[k].changes
	}
	if needsLists(changes) {
		c.probeLists(vals, feeds)
	}
	p := &plan{byFile: map[string]*fileEdit{}, explain: e.Opts.Explain}
	var applied []fedChange
	var gs *gates
	for _, k := range order {
		w := byWorkload[k]
		var fed []fedChange
		var unfed, kept []*fixers.Change
		var candidates []fedChange
		for _, ch := range w.changes {
			if f, ok := feedOf(feeds, w.t.Name, ch); ok {
				candidates = append(candidates, f)
			} else if f, ok := listFeedOf(feeds, w.t.Name, ch); ok && sharedListOK(feeds, f, changesBy) {
				candidates = append(candidates, f)
			} else if fs := toContainers(feeds, w.t, ch); fs != nil {
				candidates = append(candidates, fs...)
			} else {
				unfed = append(unfed, ch)
			}
		}
		for _, f := range candidates {
			ch := f.ch
			if cur, set := authorSet(vals, f, e.Opts); set {
				// A value the author wrote is theirs, as in a manifest: reported, not
				// overwritten (unless the engine was allowed to change it).
				file := p.fileFor(c, f)
				res.Notes = append(res.Notes, fixers.Report{Path: file, Line: max(keyLine(c.files[file], f.path), 1), Object: "values", Note: true,
					Message: fmt.Sprintf("%s is %s, as the chart's author set it: kept (psafix would set %s to %s for %s/%s)", strings.Join(f.path, "."), cur, fieldsOf([]*fixers.Change{ch}), ch.New, w.kind, w.name)})
				kept = append(kept, ch)
				continue
			}
			fed = append(fed, f)
		}
		// A fixer's changes go together (a read-only root without its emptyDir breaks the
		// workload): a fixer with a change no values key feeds, or one kept as the author
		// set it, makes none at the source. And a workload left failing for such a change
		// gets no risky edit.
		partial, failing := map[string]bool{}, false
		for _, ch := range append(append([]*fixers.Change{}, unfed...), kept...) {
			partial[ch.Fixer] = true
			failing = failing || len(ch.Checks) > 0
		}
		var withKept, withUnfed []*fixers.Change
		if len(partial) > 0 {
			rest := fed[:0]
			for _, f := range fed {
				switch {
				case !partial[f.ch.Fixer]:
					rest = append(rest, f)
				case hasFixer(unfed, f.ch.Fixer):
					withUnfed = append(withUnfed, f.ch)
				default:
					withKept = append(withKept, f.ch)
				}
			}
			fed = rest
		}
		// One note per container (and one for the pod), at its line.
		note := func(cs []*fixers.Change, msg func([]*fixers.Change) string) {
			for _, group := range byContainer(cs) {
				res.Notes = append(res.Notes, fixers.Report{Path: w.t.Path, Line: templateLine(w.t, group[0].Line), Object: w.kind + "/" + w.name, Container: group[0].Container, Note: true, Message: msg(group)})
			}
		}
		note(unfed, func(g []*fixers.Change) string {
			return "no values key feeds " + fieldsOf(g) + "; add to the template: " + snippet(g)
		})
		// A securityContext the chart renders only behind a switch the author turned off.
		for _, group := range byContainer(unfed) {
			scope := "pod"
			if group[0].Container != "" {
				scope = "container " + group[0].Container
			}
			if !strings.Contains(group[0].Field, ".securityContext") {
				continue
			}
			if gs == nil {
				gs = newGates(c, r0, vals)
			}
			p := place{w.t.Name, w.kind, w.name, scope}
			if path := gs.of(p); path != nil {
				gs.note(res, p, path)
			}
		}
		note(withUnfed, func(g []*fixers.Change) string {
			return "not made at the source either (" + snippet(g) + "): a fixer's edits go together, and no values key feeds the others"
		})
		note(withKept, func(g []*fixers.Change) string {
			return "not made at the source either (" + snippet(g) + "): they go with the edit the chart's values keep"
		})
		for _, f := range fed {
			if failing && risky(f.ch) {
				res.Notes = append(res.Notes, fixers.Report{Path: w.t.Path, Line: templateLine(w.t, f.ch.Line), Object: w.kind + "/" + w.name, Container: f.ch.Container, Note: true,
					Message: "risky edit not made at the source (" + f.ch.String() + "): the workload would still fail for the fields no values key feeds"})
				continue
			}
			if err := p.add(c, f); err != nil {
				res.Err = err
				return res
			}
			f.template, f.tname = w.t.Path, w.t.Name
			applied = append(applied, f)
		}
	}
	// Edit each values file, then render from the edited copies.
	edited := &Chart{Dir: c.Dir, Opts: c.Opts, files: map[string][]byte{}}
	for k, v := range c.files {
		edited.files[k] = v
	}
	paths := make([]string, 0, len(p.byFile))
	for path := range p.byFile {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var values []*fixers.Result
	for _, path := range paths {
		fe := p.byFile[path]
		old := c.files[path]
		nb, err := fe.apply(old)
		if err != nil {
			res.Err = fmt.Errorf("%s: %v: nothing written", path, err)
			return res
		}
		if bytes.Equal(nb, old) {
			continue
		}
		edited.files[path] = nb
		values = append(values, &fixers.Result{Path: path, Old: old, New: nb})
		for _, n := range fe.notes {
			res.Notes = append(res.Notes, fixers.Report{Path: path, Line: keyLine(nb, n.path), Object: "values", Note: true, Message: n.msg})
		}
	}
	if len(values) == 0 {
		res.Rendered = remaining(checkRendering(r0, e))
		return res
	}
	r1, err := edited.Render(nil)
	if err != nil {
		res.Err = fmt.Errorf("the chart no longer renders with the fixed values (%v): nothing written", err)
		res.Rendered = remaining(checkRendering(r0, e))
		return res
	}
	if why := sameOutsideSecurity(r0, r1, addedItems(applied)); why != "" {
		res.Err = fmt.Errorf("the fixed values change the rendering outside security fields (%s): nothing written", why)
		res.Rendered = remaining(checkRendering(r0, e))
		return res
	}
	rendered := checkRendering(r1, e)
	if why := notTaken(applied, rendered); why != "" {
		res.Err = fmt.Errorf("%s: nothing written", why)
		res.Rendered = remaining(checkRendering(r0, e))
		return res
	}
	res.Values = values
	res.Rendered = remaining(rendered)
	// Workloads fixed: those whose rendering changed.
	old := map[string]string{}
	for _, t := range r0.Templates {
		old[t.Name] = t.Text
	}
	for _, fr := range res.Rendered {
		for _, t := range r1.Templates {
			if t.Path == fr.Path && old[t.Name] != t.Text {
				fr.Fixed = fr.Workloads
			}
		}
	}
	return res
}

// riskyField are the fields whose safety depends on what the image does at run time (see
// fixers/safety.go): all or nothing for a workload.
var riskyField = regexp.MustCompile(`\.(runAsUser|runAsGroup|runAsNonRoot|fsGroup|fsGroupChangePolicy|readOnlyRootFilesystem|capabilities\.(drop|add))(\[\d+\])?$`)

// risky reports whether a change's safety depends on the image.
func risky(ch *fixers.Change) bool {
	return ch.Risky || ch.Explicit || riskyField.MatchString(ch.Field)
}

// remaining makes rendered results report the violations of the rendering as it is (no
// in-memory fix of it is written anywhere).
func remaining(rs []*fixers.Result) []*fixers.Result {
	for _, fr := range rs {
		fr.Remaining, fr.Notes, fr.Fixed, fr.New, fr.Changes = fr.Before, nil, 0, nil, nil
		for i := range fr.Pods {
			fr.Pods[i].After, fr.Pods[i].Fixed = fr.Pods[i].Before, false
		}
	}
	return rs
}

// fedChange is a change the engine made in a rendered securityContext, with the values
// path that feeds that securityContext and the key path below it.
type fedChange struct {
	ch     *fixers.Change
	values []string // the values map or scalar that feeds the field (or a map above it)
	path   []string // the field's path in the values
	append bool     // an item added to the list at path
	// template is the template file of the workload changed, once the change is made, and
	// tname Helm's name for it.
	template, tname string
}

// authorSet reports whether a fed change would overwrite a value the chart's values hold
// (cur, as JSON): the author's choice, kept as it would be in a manifest, unless the engine
// replaced it in the rendering (where the same rules decided it could) or the opt-in
// --fix-explicit-root allows it for runAsUser and runAsNonRoot.
func authorSet(vals map[string]any, f fedChange, o *fixers.Options) (cur string, set bool) {
	if f.append || f.ch.Explicit {
		return "", false
	}
	var v any = vals
	for _, k := range f.path {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[k]; !ok {
			return "", false
		}
	}
	if v == nil {
		return "", false
	}
	if _, ok := v.(map[string]any); ok {
		return "", false
	}
	b, _ := json.Marshal(v)
	var want any
	if json.Unmarshal([]byte(f.ch.New), &want) == nil && reflect.DeepEqual(normalize(v), want) {
		return "", false
	}
	if last := f.path[len(f.path)-1]; o != nil && o.FixExplicitRoot && (last == "runAsUser" || last == "runAsNonRoot") {
		return "", false
	}
	return string(b), true
}

// byContainer groups changes by the container they change ("" for the pod), in the order
// each first appears.
func byContainer(cs []*fixers.Change) [][]*fixers.Change {
	var out [][]*fixers.Change
	at := map[string]int{}
	for _, c := range cs {
		k := c.ContainerField + "\x00" + c.Container
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], c)
	}
	return out
}

func hasFixer(cs []*fixers.Change, fixer string) bool {
	for _, c := range cs {
		if c.Fixer == fixer {
			return true
		}
	}
	return false
}

// notTaken checks, on the new rendering's results, that each change made at the source took
// effect: the engine would not make it again. A values key probing found to feed a field
// that, set, does not set it (a template that converts or ignores it) writes nothing.
func notTaken(applied []fedChange, rendered []*fixers.Result) string {
	again := map[string]bool{}
	for _, fr := range rendered {
		for _, ch := range fr.Changes {
			again[fr.Path+"\x00"+ch.Kind+"\x00"+ch.Name+"\x00"+ch.Field] = true
		}
	}
	for _, f := range applied {
		if again[f.template+"\x00"+f.ch.Kind+"\x00"+f.ch.Name+"\x00"+f.ch.Field] {
			return fmt.Sprintf("the values key %s, set to %s, does not set %s of %s/%s when the chart is rendered again (probing found it feeds it)", strings.Join(f.path, "."), f.ch.New, fieldsOf([]*fixers.Change{f.ch}), f.ch.Kind, f.ch.Name)
		}
	}
	return ""
}

// feedOf finds the values map that feeds the securityContext a change is in.
func feedOf(fs feeds, template string, ch *fixers.Change) (fedChange, bool) {
	scope := "pod"
	if ch.Container != "" || ch.ContainerField != "" {
		scope = ch.ContainerField + "[" + strconv.Itoa(ch.ContainerIndex) + "]"
	}
	prefix := ch.Scope + ".securityContext"
	if ch.Op == fixers.OpRemove || !strings.HasPrefix(ch.Field, prefix) {
		return fedChange{}, false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(ch.Field, prefix), ".")
	appendItem := ch.Op == fixers.OpAppend
	if m := itemIndex.FindStringSubmatch(rest); m != nil {
		// An item written into a list (capabilities.drop[0]): added to the values' list.
		rest, appendItem = m[1], true
	}
	if strings.ContainsAny(rest, "[]") {
		return fedChange{}, false
	}
	var sub []string
	if rest != "" {
		sub = strings.Split(rest, ".")
	}
	feed, path, ok := fs.of(place{template, ch.Kind, ch.Name, scope}, sub)
	if !ok {
		return fedChange{}, false
	}
	return fedChange{ch: ch, values: feed, path: path, append: appendItem}, true
}

var itemIndex = regexp.MustCompile(`^(.*)\[\d+\]$`)

// containerToo are the pod securityContext fields a container's has too, which PSA accepts
// on every container alike.
var containerToo = map[string]bool{
	"runAsNonRoot": true, "runAsUser": true, "runAsGroup": true, "seccompProfile": true,
	"seLinuxOptions": true, "appArmorProfile": true, "windowsOptions": true,
}

// toContainers carries a pod-level change no values key feeds into the securityContext of
// every container of the pod, when a values key feeds each of them (a chart that templates
// only the containers' securityContext): the same field on every container, as PSA reads
// it. Nil when a container has no feed.
func toContainers(fs feeds, t Template, ch *fixers.Change) []fedChange {
	if ch.Container != "" || ch.ContainerField != "" || ch.Op != fixers.OpSet {
		return nil
	}
	rest, ok := strings.CutPrefix(ch.Field, ch.Scope+".securityContext.")
	if first, _, _ := strings.Cut(rest, "."); !ok || !containerToo[first] {
		return nil
	}
	type ctr struct {
		field string
		index int
		name  string
	}
	var ctrs []ctr
	eachSecurityContext(t, func(p place, _ *yaml.Node) {
		if p.kind != ch.Kind || p.name != ch.Name || p.scope == "pod" {
			return
		}
		if name, ok := strings.CutPrefix(p.scope, "container "); ok && len(ctrs) > 0 {
			ctrs[len(ctrs)-1].name = name
			return
		}
		if m := scopeIndex.FindStringSubmatch(p.scope); m != nil {
			i, _ := strconv.Atoi(m[2])
			ctrs = append(ctrs, ctr{field: m[1], index: i})
		}
	})
	var out []fedChange
	for _, k := range ctrs {
		c := *ch
		c.Container, c.ContainerField, c.ContainerIndex = k.name, k.field, k.index
		c.Scope = ch.Scope + "." + k.field + "[" + strconv.Itoa(k.index) + "]"
		c.Field = c.Scope + ".securityContext." + rest
		f, ok := feedOf(fs, t.Name, &c)
		if !ok {
			return nil
		}
		out = append(out, f)
	}
	return out
}

var scopeIndex = regexp.MustCompile(`^(\w+)\[(\d+)\]$`)

// plan is the edits to make, by values file.
type plan struct {
	byFile map[string]*fileEdit
	// explain: --explain, the assumption of each risky edit as a comment on its line.
	explain bool
}

type fileEdit struct {
	sets    []setOp
	notes   []valuesNote
	already map[string]string
	// explain are the "# psafix: ..." comments --explain writes on the lines set.
	explain []explainNote
}

// explainNote is the assumption of a risky edit, for the line of the values key it sets
// (or of the item it adds to the list at path).
type explainNote struct {
	set  setOp
	text string
}

type valuesNote struct {
	path []string
	msg  string
}

// keyLine finds the line of a values key in a values file: the deepest key of the path
// the file holds (0 when it holds none).
func keyLine(data []byte, path []string) int {
	src := kio.NewSource(data)
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil || d.Root == nil {
			continue
		}
		line, n := 0, d.Root
		for _, k := range path {
			kn, v := kio.Lookup(n, k)
			if kn == nil {
				break
			}
			line, n = kn.Line, v
		}
		return line
	}
	return 0
}

type setOp struct {
	path   []string
	v      kio.Value
	append bool
}

// fileFor is the values file a fed change goes to: the last -f file that sets the map or
// scalar that feeds it, else the chart's values.yaml.
func (p *plan) fileFor(c *Chart, f fedChange) string {
	for i := len(c.Opts.ValuesFiles) - 1; i >= 0; i-- {
		vf := c.Opts.ValuesFiles[i]
		if v, err := common.ReadValues(c.files[vf]); err == nil && hasKey(v, f.values) {
			return vf
		}
	}
	return c.valuesPath()
}

// hasKey reports whether values v hold the key at path, whatever its value (a null too:
// the key that empties a default is where the value goes).
func hasKey(v map[string]any, path []string) bool {
	for i, k := range path {
		x, ok := v[k]
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		if v, ok = x.(map[string]any); !ok {
			return false
		}
	}
	return false
}

// add records a fed change in the values file that sets its map or scalar.
func (p *plan) add(c *Chart, f fedChange) error {
	file := p.fileFor(c, f)
	fe := p.byFile[file]
	if fe == nil {
		fe = &fileEdit{already: map[string]string{}}
		p.byFile[file] = fe
	}
	var x any
	if err := json.Unmarshal([]byte(f.ch.New), &x); err != nil {
		return fmt.Errorf("psafix bug: change %s: %v", f.ch, err)
	}
	path := f.path
	key := strings.Join(path, ".")
	if f.append {
		key += "[]" + f.ch.New
	}
	if prev, ok := fe.already[key]; ok {
		if prev != f.ch.New {
			return fmt.Errorf("the values key %s feeds workloads that need different values (%s, %s): nothing written", strings.Join(path, "."), prev, f.ch.New)
		}
		return nil
	}
	fe.already[key] = f.ch.New
	set := setOp{path: path, v: toValue(x), append: f.append}
	fe.sets = append(fe.sets, set)
	if p.explain && f.ch.Risky && f.ch.Assumption != "" {
		fe.explain = append(fe.explain, explainNote{set, f.ch.Assumption})
	}
	if risky(f.ch) {
		why := f.ch.Assumption
		if why == "" {
			why = "the image must run with it"
		}
		did := "set to"
		if f.append {
			did = "gets the item"
		}
		fe.notes = append(fe.notes, valuesNote{path, fmt.Sprintf("risky edit: %s %s %s for %s/%s (%s)", strings.Join(path, "."), did, f.ch.New, f.ch.Kind, f.ch.Name, why)})
	}
	return nil
}

// apply edits a values file with the byte-faithful editor: comments kept, {} filled in
// place, only the lines the keys need.
func (fe *fileEdit) apply(old []byte) ([]byte, error) {
	src := kio.NewSource(old)
	segs := kio.Split(src.Data)
	var d *kio.Document
	for i, seg := range segs {
		doc, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			return nil, err
		}
		if doc.Root != nil {
			d = doc
			break
		}
	}
	if d == nil || d.Root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping of values")
	}
	ed := kio.NewEditor(d)
	for _, s := range fe.sets {
		if s.append {
			ed.Append(d.Root, s.path, s.v)
		} else {
			ed.Set(d.Root, s.path, s.v)
		}
	}
	if err := ed.Err(); err != nil {
		return nil, err
	}
	edits, err := ed.Edits()
	if err != nil {
		return nil, err
	}
	if len(fe.explain) > 0 {
		edits = fe.explained(src, d.Index, edits)
	}
	nb := kio.Apply(src.Data, edits)
	if src.BOM {
		nb = append(append([]byte{}, kio.BOM...), nb...)
	}
	// The edited file must still read as values, the same ones plus the fix.
	before, err := common.ReadValues(old)
	if err != nil {
		return nil, err
	}
	after, err := common.ReadValues(nb)
	if err != nil {
		return nil, fmt.Errorf("the edited file no longer reads as values: %v", err)
	}
	for _, s := range fe.sets {
		if s.append {
			continue
		}
		setPath(before, s.path, kio.Plain(s.v))
	}
	if !reflect.DeepEqual(normalize(before), normalize(after)) && !fe.hasAppend() {
		return nil, fmt.Errorf("psafix bug: the edited values differ from the intended ones")
	}
	return nb, nil
}

// explained adds to the edits of document doc the --explain comments, as the engine adds
// them in a manifest (kio.Explain): on each line a risky edit writes, that has no comment of
// its own.
func (fe *fileEdit) explained(src *kio.Source, doc int, edits []kio.Edit) []kio.Edit {
	fixed := kio.NewSource(kio.Apply(src.Data, edits))
	segs := kio.Split(fixed.Data)
	if doc >= len(segs) {
		return edits
	}
	d, err := kio.ParseDocument(fixed, segs[doc], doc)
	if err != nil || d.Root == nil {
		return edits
	}
	var notes []kio.LineNote
	for _, n := range fe.explain {
		field, ok := fieldPath(n.set.path)
		if !ok {
			continue
		}
		if n.set.append {
			// The item added: the last one of the list that holds its value.
			var l *yaml.Node = d.Root
			for _, k := range n.set.path {
				if _, l = kio.Lookup(l, k); l == nil {
					break
				}
			}
			l = kio.Resolve(l)
			item := -1
			if l != nil && l.Kind == yaml.SequenceNode {
				want := normalize(kio.Plain(n.set.v))
				for i, it := range l.Content {
					if it.Kind == yaml.ScalarNode && kio.Str(it.Value) == n.set.v {
						item = i
					} else if v, err := kio.ToValue(it); err == nil && it.Kind == yaml.MappingNode && reflect.DeepEqual(normalize(v), want) {
						item = i // a volume, a mount
					}
				}
			}
			if item < 0 {
				continue
			}
			field += "[" + strconv.Itoa(item) + "]"
		}
		notes = append(notes, kio.LineNote{Field: field, Text: n.text})
	}
	out, _ := kio.Explain(src, doc, edits, notes)
	return out
}

// fieldPath writes a values path as kio.LineNote's Field: keys joined by '.', a key with a
// dot in brackets.
func fieldPath(path []string) (string, bool) {
	var b strings.Builder
	for i, k := range path {
		switch {
		case strings.ContainsAny(k, "[]"):
			return "", false
		case strings.Contains(k, "."):
			b.WriteString("[" + k + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		}
	}
	return b.String(), true
}

func (fe *fileEdit) hasAppend() bool {
	for _, s := range fe.sets {
		if s.append {
			return true
		}
	}
	return false
}

// toValue turns a decoded JSON value into the editor's typed value.
func toValue(x any) kio.Value {
	switch v := x.(type) {
	case bool:
		return kio.Bool(v)
	case float64:
		return kio.Int(int64(v))
	case string:
		return kio.Str(v)
	case []any:
		l := kio.List{}
		for _, it := range v {
			l = append(l, toValue(it))
		}
		return l
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := kio.M()
		for _, k := range keys {
			m.Set(k, toValue(v[k]))
		}
		return m
	}
	return kio.Str(fmt.Sprint(x))
}

// normalize makes decoded values comparable (numbers as float64).
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// fieldsOf names the fields of changes: "securityContext.runAsNonRoot, ...".
func fieldsOf(cs []*fixers.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, strings.TrimPrefix(strings.TrimPrefix(c.Field, c.Scope), "."))
	}
	return strings.Join(s, ", ")
}

// snippet is what to add to a template for changes no values key feeds, in flow style.
func snippet(cs []*fixers.Change) string {
	var s []string
	for _, c := range cs {
		s = append(s, c.String())
	}
	return strings.Join(s, "; ")
}

// templateLine is the template line that wrote a rendered line.
func templateLine(t Template, line int) int {
	fr := &fixers.Result{Pods: []fixers.PodSummary{{Line: line}}}
	locate(fr, t)
	return fr.Pods[0].Line
}

// sameOutsideSecurity compares two renderings with every pod's and container's
// securityContext left out: a fix at the source must change nothing else.
func sameOutsideSecurity(a, b *Rendering, added map[string]map[string]bool) string {
	strip := func(r *Rendering) map[string][]any {
		out := map[string][]any{}
		for _, t := range r.Templates {
			var docs []any
			for _, part := range splitDocs(t.Text) {
				var v any
				if err := yaml.Unmarshal([]byte(part), &v); err != nil || v == nil {
					continue
				}
				// Only the workload a volume was added to may have it.
				var mine map[string]bool
				if m, ok := v.(map[string]any); ok {
					meta, _ := m["metadata"].(map[string]any)
					mine = added[t.Name+"\x00"+fmt.Sprint(m["kind"])+"\x00"+fmt.Sprint(meta["name"])]
				}
				stripSecurity(v, mine)
				docs = append(docs, normalize(v))
			}
			out[t.Name] = docs
		}
		return out
	}
	sa, sb := strip(a), strip(b)
	names := map[string]bool{}
	for k := range sa {
		names[k] = true
	}
	for k := range sb {
		names[k] = true
	}
	var diff []string
	for k := range names {
		if !reflect.DeepEqual(sa[k], sb[k]) {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, ", ")
}

func splitDocs(text string) []string {
	src := kio.NewSource([]byte(text))
	var out []string
	for _, seg := range kio.Split(src.Data) {
		out = append(out, string(src.Data[seg.Start:seg.End]))
	}
	return out
}

// stripSecurity deletes securityContext wherever it appears in a pod spec or a container,
// and the volumes and volumeMounts items a fix added (named in added), with a list they
// leave empty.
func stripSecurity(v any, added map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		_, pod := x["containers"]
		_, ctr := x["image"]
		if pod || ctr {
			delete(x, "securityContext")
			for _, key := range []string{"volumes", "volumeMounts"} {
				l, ok := x[key].([]any)
				if !ok {
					continue
				}
				kept := []any{}
				for _, it := range l {
					if m, ok := it.(map[string]any); ok && added[fmt.Sprint(m["name"])] {
						continue
					}
					kept = append(kept, it)
				}
				if len(kept) == 0 {
					delete(x, key)
				} else {
					x[key] = kept
				}
			}
		}
		for _, c := range x {
			stripSecurity(c, added)
		}
	case []any:
		for _, c := range x {
			stripSecurity(c, added)
		}
	}
}

// addedItems are the names of the volumes and volumeMounts items the changes made add, by
// workload (template name, kind and name).
func addedItems(applied []fedChange) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range applied {
		if !listItem.MatchString(strings.TrimPrefix(f.ch.Field, f.ch.Scope)) {
			continue
		}
		var it map[string]any
		if json.Unmarshal([]byte(f.ch.New), &it) == nil && it["name"] != nil {
			k := f.tname + "\x00" + f.ch.Kind + "\x00" + f.ch.Name
			if out[k] == nil {
				out[k] = map[string]bool{}
			}
			out[k][fmt.Sprint(it["name"])] = true
		}
	}
	return out
}
