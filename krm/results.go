package krm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// securityContextFixer says which fixer owns each securityContext field.
var securityContextFixer = map[string]string{
	"runAsNonRoot":             "run-as-non-root",
	"runAsUser":                "run-as-non-root",
	"seccompProfile":           "seccomp",
	"allowPrivilegeEscalation": "no-privilege-escalation",
	"capabilities":             "capabilities",
	"readOnlyRootFilesystem":   "read-only-root",
	"appArmorProfile":          "apparmor",
	"procMount":                "proc-mount",
}

const appArmorPrefix = "container.apparmor.security.beta.kubernetes.io/"

// fixGroup is one fix applied: what one fixer changed in one pod spec or container.
type fixGroup struct {
	scope     string // field path of the pod spec or the container
	container string
	fixer     string
	paths     []string // field paths of the changes
	texts     []string // the changes, relative to scope
}

// fixResults adds an info result per fix applied: per workload, per container (or the pod
// spec) and per fixer, with the changes it made and the checks it answered.
func (f *function) fixResults(rl *framework.ResourceList, it *itemInfo, before, after *kio.Document) {
	if before == nil || after == nil {
		return
	}
	wbs, was := kio.FindWorkloads(before), kio.FindWorkloads(after)
	for i := range was {
		if i >= len(wbs) {
			break
		}
		wb, wa := wbs[i], was[i]
		failing := map[policy.CheckID]bool{}
		if meta, spec, err := fixers.DecodePod(wb); err == nil {
			for _, fd := range f.eval.Evaluate(f.lv(), meta, spec) {
				failing[fd.ID] = true
			}
		}
		for _, g := range diffPod(wb, wa) {
			msg := ""
			if wa.Item >= 0 {
				msg = wa.ID() + " "
			}
			if g.container != "" {
				msg += fmt.Sprintf("container %q: ", g.container)
			}
			name := g.fixer
			if name == "" {
				name = "psafix"
			}
			msg += "fixed by " + name + ": " + strings.Join(g.texts, "; ")
			var checks []string
			if fx := fixers.ByID(g.fixer); fx != nil {
				for _, c := range fx.Checks {
					if failing[c] {
						checks = append(checks, string(c))
					}
				}
			}
			f.add(rl, it, framework.Info, msg, g.fieldPath(), tags(strings.Join(checks, ","), g.fixer, ""))
		}
	}
}

func (g *fixGroup) fieldPath() string {
	if len(g.paths) == 1 {
		return g.paths[0]
	}
	sc := g.scope + ".securityContext."
	for _, p := range g.paths {
		if !strings.HasPrefix(p, sc) {
			return g.scope
		}
	}
	return strings.TrimSuffix(sc, ".")
}

// diffPod lists what a fix changed in a pod template, grouped by container and fixer.
func diffPod(wb, wa *kio.Workload) []*fixGroup {
	vb, err1 := kio.ToValue(wb.Template)
	va, err2 := kio.ToValue(wa.Template)
	tb, _ := vb.(map[string]any)
	ta, _ := va.(map[string]any)
	if err1 != nil || err2 != nil || tb == nil || ta == nil {
		return nil
	}
	base := fieldPath(wa.Path)
	spec := join(base, "spec")
	var groups []*fixGroup
	byKey := map[string]*fixGroup{}
	add := func(scope, container, fixer, path, text string) {
		k := scope + "\x00" + fixer
		g := byKey[k]
		if g == nil {
			g = &fixGroup{scope: scope, container: container, fixer: fixer}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.paths = append(g.paths, path)
		g.texts = append(g.texts, text)
	}

	// Pod metadata: AppArmor annotations.
	annB := mapAt(tb, "metadata", "annotations")
	annA := mapAt(ta, "metadata", "annotations")
	for _, k := range unionKeys(annB, annA) {
		if cmp.Equal(annB[k], annA[k]) {
			continue
		}
		fixer := ""
		if strings.HasPrefix(k, appArmorPrefix) {
			fixer = "apparmor"
		}
		path := join(base, "metadata.annotations") + "[" + k + "]"
		add(join(base, "metadata"), "", fixer, path, describeChange("metadata.annotations["+k+"]", annA[k], annA != nil && annA[k] != nil))
	}

	sb, sa := mapAt(tb, "spec"), mapAt(ta, "spec")
	diffSecurityContext(mapAt(sb, "securityContext"), mapAt(sa, "securityContext"), spec, "", add)
	diffAdded(sb, sa, "volumes", spec, "", "read-only-root", add)
	fixers.ContainerPairs(sb, sa, func(field string, i int, cb, ca map[string]any) {
		name, _ := ca["name"].(string)
		scope := fmt.Sprintf("%s.%s[%d]", spec, field, i)
		diffSecurityContext(mapAt(cb, "securityContext"), mapAt(ca, "securityContext"), scope, name, add)
		diffAdded(cb, ca, "volumeMounts", scope, name, "read-only-root", add)
	})
	return groups
}

func diffSecurityContext(b, a map[string]any, scope, container string, add func(scope, container, fixer, path, text string)) {
	for _, k := range unionKeys(b, a) {
		if cmp.Equal(b[k], a[k]) {
			continue
		}
		_, present := a[k]
		add(scope, container, securityContextFixer[k], scope+".securityContext."+k, describeChange("securityContext."+k, a[k], present))
	}
}

// diffAdded reports the items a fixer added to a list (volumes, volumeMounts).
func diffAdded(b, a map[string]any, key, scope, container, fixer string, add func(scope, container, fixer, path, text string)) {
	lb, _ := b[key].([]any)
	la, _ := a[key].([]any)
	for i, it := range la {
		found := false
		for _, x := range lb {
			if cmp.Equal(x, it) {
				found = true
				break
			}
		}
		if !found {
			add(scope, container, fixer, fmt.Sprintf("%s.%s[%d]", scope, key, i), key+": added "+compact(it))
		}
	}
}

func describeChange(field string, v any, present bool) string {
	if !present {
		return field + " removed"
	}
	return field + ": " + compact(v)
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func mapAt(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if m == nil {
			return nil
		}
		m, _ = m[k].(map[string]any)
	}
	return m
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// fieldPath writes a path of keys and indexes as results do: spec.template, items[2].spec.
func fieldPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(k)
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		}
	}
	return b.String()
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// The field a failed check points at, in a container and in the pod spec.
var (
	containerCheckField = map[policy.CheckID]string{
		"allowPrivilegeEscalation":  "securityContext.allowPrivilegeEscalation",
		"capabilities_baseline":     "securityContext.capabilities",
		"capabilities_restricted":   "securityContext.capabilities",
		"privileged":                "securityContext.privileged",
		"runAsNonRoot":              "securityContext.runAsNonRoot",
		"runAsUser":                 "securityContext.runAsUser",
		"seccompProfile_baseline":   "securityContext.seccompProfile",
		"seccompProfile_restricted": "securityContext.seccompProfile",
		"procMount":                 "securityContext.procMount",
		"procMount_restricted":      "securityContext.procMount",
		"seLinuxOptions":            "securityContext.seLinuxOptions",
		"appArmorProfile":           "securityContext.appArmorProfile",
		"windowsHostProcess":        "securityContext.windowsOptions.hostProcess",
		"hostPorts":                 "ports",
	}
	podCheckField = map[policy.CheckID]string{
		"runAsNonRoot":              "securityContext.runAsNonRoot",
		"runAsUser":                 "securityContext.runAsUser",
		"seccompProfile_baseline":   "securityContext.seccompProfile",
		"seccompProfile_restricted": "securityContext.seccompProfile",
		"seLinuxOptions":            "securityContext.seLinuxOptions",
		"appArmorProfile":           "securityContext.appArmorProfile",
		"windowsHostProcess":        "securityContext.windowsOptions.hostProcess",
		"sysctls":                   "securityContext.sysctls",
		"hostPathVolumes":           "volumes",
		"restrictedVolumes":         "volumes",
	}
)

// findWorkload finds the workload a report is about: the last one of that name starting at
// or before the report's line.
func findWorkload(doc *kio.Document, r fixers.Report) *kio.Workload {
	if doc == nil {
		return nil
	}
	var found *kio.Workload
	for _, w := range kio.FindWorkloads(doc) {
		if w.ID() != r.Object {
			continue
		}
		if found == nil || (w.Object.Line <= r.Line && w.Object.Line > found.Object.Line) {
			found = w
		}
	}
	return found
}

// reportPath is the field path a report points at, as precisely as it is known.
func reportPath(doc *kio.Document, r fixers.Report) string {
	w := findWorkload(doc, r)
	if w == nil {
		return ""
	}
	spec := join(fieldPath(w.Path), "spec")
	if r.Container != "" {
		for _, field := range kio.ContainerFields {
			for i, c := range kio.Containers(w.Spec, field) {
				if scalar(c, "name") != r.Container {
					continue
				}
				p := fmt.Sprintf("%s.%s[%d]", spec, field, i)
				if sfx := containerCheckField[r.Check]; sfx != "" {
					p += "." + sfx
				}
				return p
			}
		}
		return spec
	}
	switch r.Check {
	case "hostNamespaces":
		for _, k := range []string{"hostNetwork", "hostPID", "hostIPC"} {
			if _, v := kio.Lookup(w.Spec, k); v != nil && v.Value == "true" {
				return spec + "." + k
			}
		}
	case "hostPathVolumes", "restrictedVolumes":
		// PSA's detail names the volumes: point at the first.
		if _, vols := kio.Lookup(w.Spec, "volumes"); vols != nil {
			for i, v := range vols.Content {
				if name := scalar(kio.Resolve(v), "name"); name != "" && strings.Contains(r.Message, strconv.Quote(name)) {
					return fmt.Sprintf("%s.volumes[%d]", spec, i)
				}
			}
		}
	}
	if sfx := podCheckField[r.Check]; sfx != "" {
		return spec + "." + sfx
	}
	return spec
}

// reportMessage is a remaining violation as a result's message: the container, PSA's check
// ID, reason and detail, and the hint.
func reportMessage(doc *kio.Document, r fixers.Report) string {
	var b strings.Builder
	if w := findWorkload(doc, r); w != nil && w.Item >= 0 {
		b.WriteString(r.Object + " ")
	}
	if r.Container != "" {
		fmt.Fprintf(&b, "container %q: ", r.Container)
	}
	if r.Check != "" {
		fmt.Fprintf(&b, "[%s] ", r.Check)
	}
	b.WriteString(r.Message)
	if r.Hint != "" {
		fmt.Fprintf(&b, " (%s)", r.Hint)
	}
	return b.String()
}
