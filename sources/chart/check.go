package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/psafix/psafix/fixers"
)

// Result is what psafix found and did in one chart.
type Result struct {
	Dir string
	// Rendered holds one result per rendered template holding manifests, its reports
	// located in the template file. Old is the rendered text; New the rendered text as
	// psafix would fix it (what "psafix CHART" prints), or, after a fix at the source, the
	// new rendering.
	Rendered []*fixers.Result
	// Values are the values files a fix at the source changes (Path, Old, New).
	Values []*fixers.Result
	// Notes are about the chart as a whole (reported at its Chart.yaml).
	Notes []fixers.Report
	// Err is set when the chart could not be rendered at all.
	Err error
}

// note adds a chart-level note.
func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fixers.Report{Path: filepath.Join(r.Dir, "Chart.yaml"), Line: 1, Object: "chart", Note: true, Message: fmt.Sprintf(format, args...)})
}

// unprobed notes the values probing left out once its renderings ran out.
func (r *Result) unprobed(n int) {
	if n > 0 {
		r.note("probing stopped after %d renderings: %d values were not probed, and what they feed is reported as fed by no values key", probeBudget, n)
	}
}

// loadRendered loads the chart at dir with its notes and renders it with the values it is
// given; when either fails, res.Err says why and the chart is nil.
func (r *Result) loadRendered(dir string, o Options) (*Chart, *Rendering) {
	c, err := Load(dir, o)
	if err != nil {
		r.Err = err
		return nil, nil
	}
	for _, n := range c.Notes {
		r.note("%s", n)
	}
	out, err := c.Render(nil)
	if err != nil {
		r.Err = fmt.Errorf("cannot render the chart: %w", err)
		return nil, nil
	}
	return c, out
}

// Check renders a chart and checks (and fixes, in memory) every rendered manifest, reporting
// at the template files.
func Check(dir string, o Options, e *fixers.Engine) *Result {
	res := &Result{Dir: dir}
	c, r := res.loadRendered(dir, o)
	if c == nil {
		return res
	}
	res.Rendered = checkRendering(r, e)
	// Name the values keys that feed the failing securityContexts, where probing finds
	// them: that is where a fix goes.
	failing := false
	for _, fr := range res.Rendered {
		failing = failing || len(fr.Before) > 0
	}
	if !failing {
		return res // nothing to name: no probing (a chart that passes checks in one rendering)
	}
	if feeds, unprobed, err := c.probe(r); err == nil {
		res.unprobed(unprobed)
		var gs *gates
		for _, fr := range res.Rendered {
			tname := ""
			for _, t := range r.Templates {
				if t.Path == fr.Path {
					tname = t.Name
				}
			}
			for i := range fr.Before {
				rep := &fr.Before[i]
				kind, _, _ := strings.Cut(rep.Object, "/")
				name := rep.Object[strings.LastIndex(rep.Object, "/")+1:]
				var keys []string
				field, _, _ := strings.Cut(string(rep.Check), "_")
				if field == "windowsHostProcess" {
					field = "windowsOptions"
				}
				if rep.Container != "" {
					for _, k := range feeds.keys(place{tname, kind, name, "container " + rep.Container}, field) {
						keys = append(keys, k+" ("+c.where(k, "container")+")")
					}
				}
				if !containerOnly[string(rep.Check)] {
					for _, k := range feeds.keys(place{tname, kind, name, "pod"}, field) {
						keys = append(keys, k+" ("+c.where(k, "pod")+")")
					}
				}
				if len(keys) == 0 {
					// No key feeds it: a securityContext behind a switch turned off?
					var scopes []string
					if rep.Container != "" {
						scopes = append(scopes, "container "+rep.Container)
					}
					if !containerOnly[string(rep.Check)] {
						scopes = append(scopes, "pod")
					}
					if gs == nil {
						vals, _ := c.values()
						gs = newGates(c, r, vals)
					}
					for _, scope := range scopes {
						if path := gs.of(place{tname, kind, name, scope}); path != nil {
							k := strings.Join(path, ".")
							at := strings.TrimPrefix(c.where(k, ""), ", ")
							keys = append(keys, fmt.Sprintf("%s is false (%s): the chart renders no securityContext for the %s unless it is true", k, at, strings.Fields(scope)[0]))
						}
					}
				}
				if len(keys) > 0 {
					hint := "values: " + strings.Join(keys, ", ")
					if rep.Hint != "" {
						hint = rep.Hint + "; " + hint
					}
					rep.Hint = hint
				}
			}
		}
	}
	return res
}

// where says what a values key feeds (scope) and where it is written: the last values file
// that holds it, and its line ("pod, app/values.yaml:8"), or scope alone when no file of the
// chart's own holds it (a sub-chart's default).
func (c *Chart) where(key, scope string) string {
	path := strings.Split(key, ".")
	for _, f := range slices.Backward(c.fileOrder()) {
		if line := keyLine(c.files[f], path); line > 0 {
			if v, err := common.ReadValues(c.files[f]); err == nil && hasKey(v, path) {
				return fmt.Sprintf("%s, %s:%d", scope, f, line)
			}
		}
	}
	// A sub-chart's default, in its own values.yaml (a fix goes under the parent's key).
	if len(path) > 1 {
		f := filepath.Join(c.Dir, "charts", path[0], "values.yaml")
		if b, err := os.ReadFile(f); err == nil {
			if v, err := common.ReadValues(b); err == nil && hasKey(v, path[1:]) {
				return fmt.Sprintf("%s, %s:%d", scope, f, max(keyLine(b, path[1:]), 1))
			}
		}
	}
	return scope
}

// action is a template action on one line.
var action = regexp.MustCompile(`\{\{.*?\}\}`)

// linePattern matches the lines a template line renders when it starts with text and holds
// actions ("runAsUser: {{ .Values.uid }}" renders "runAsUser: 1000"): its text, each action
// any text. Nil for a line without actions, or that starts with one.
func linePattern(s string) *regexp.Regexp {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "{{") || strings.HasPrefix(s, "{{") {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range action.FindAllStringIndex(s, -1) {
		b.WriteString(regexp.QuoteMeta(s[last:m[0]]))
		b.WriteString(".*")
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(s[last:]) + "$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// lineRef is a line named in a message ("runAsUser: 0, line 17").
var lineRef = regexp.MustCompile(`\bline [0-9]+\b`)

// containerOnly are the checks whose fields exist only on containers.
var containerOnly = map[string]bool{
	"allowPrivilegeEscalation": true, "capabilities_restricted": true, "capabilities_baseline": true,
	"privileged": true, "procMount": true,
}

// checkRendering runs the engine over each rendered template and locates its reports in
// the template file.
func checkRendering(r *Rendering, e *fixers.Engine) []*fixers.Result {
	var out []*fixers.Result
	for _, t := range r.Templates {
		fr := e.FixFile(t.Path, []byte(t.Text))
		if fr.Err == nil && fr.Workloads == 0 {
			continue
		}
		locate(fr, t)
		out = append(out, fr)
	}
	return out
}

// locate moves a result's line numbers from the rendered text to the template file: the
// line of the template that wrote the rendered line, or of the nearest line above it that
// the template writes literally (a "securityContext:" above what toYaml filled in).
func locate(fr *fixers.Result, t Template) {
	tpl := strings.Split(readFile(t.Path), "\n")
	patterns := make([]*regexp.Regexp, len(tpl))
	for i, s := range tpl {
		patterns[i] = linePattern(s)
	}
	rendered := strings.Split(t.Text, "\n")
	at := func(line int) int {
		for l := line; l >= 1 && l > line-200 && l <= len(rendered); l-- {
			want := strings.TrimSpace(rendered[l-1])
			if want == "" || want == "---" {
				continue
			}
			for i, s := range tpl {
				if strings.TrimSpace(s) == want {
					return i + 1
				}
			}
			for i, p := range patterns {
				if p != nil && p.MatchString(want) {
					return i + 1
				}
			}
		}
		return 1
	}
	// "line N" in a message or hint is a line of the rendering too.
	lines := func(s string) string {
		return lineRef.ReplaceAllStringFunc(s, func(m string) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(m, "line "))
			return "line " + strconv.Itoa(at(n))
		})
	}
	fix := func(rs []fixers.Report) {
		for i := range rs {
			rs[i].Line, rs[i].Column = at(rs[i].Line), 0
			rs[i].Message, rs[i].Hint = lines(rs[i].Message), lines(rs[i].Hint)
		}
	}
	fix(fr.Before)
	fix(fr.Remaining)
	fix(fr.Notes)
	fix(fr.Bugs)
	for i := range fr.Pods {
		fr.Pods[i].Line = at(fr.Pods[i].Line)
	}
	for _, e := range fr.Errors {
		e.Line, e.Column = at(e.Line), 0
	}
	if fe, ok := fr.Err.(*fixers.FileError); ok && fe.Line > 0 {
		fe.Line = at(fe.Line)
	}
	// Edits are offsets in the rendered text: meaningless in the template.
	fr.Edits = nil
}
