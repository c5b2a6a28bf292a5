package chart

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
)

// Options say how a chart is rendered, as "helm template" would be called.
type Options struct {
	// Release is the release name (default "release"); Namespace the release namespace
	// (default "default").
	Release, Namespace string
	// ValuesFiles are the -f files, in order: a later one overrides an earlier one.
	ValuesFiles []string
}

func (o Options) release() string {
	if o.Release == "" {
		return "release"
	}
	return o.Release
}

func (o Options) namespace() string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

// Template is one rendered template: where it lives and what it rendered to.
type Template struct {
	// Name is Helm's name for it: "app/templates/deploy.yaml", or
	// "app/charts/db/templates/sts.yaml" for a sub-chart's.
	Name string
	// Path is the template file on disk (under the chart's folder).
	Path string
	// Text is the rendered manifest.
	Text string
}

// Rendering is a chart rendered once.
type Rendering struct {
	Templates []Template
}

// Chart is a chart loaded from its folder, with the user's values.
type Chart struct {
	Dir  string
	Opts Options
	// files are the texts of the -f files and of the chart's values.yaml, by path: a fix
	// under test renders from edited copies, never from the disk.
	files map[string][]byte
	// Notes are things the user should know about the chart as a whole (a dependency not
	// vendored).
	Notes []string
}

// valuesPath is the chart's own values file.
func (c *Chart) valuesPath() string { return filepath.Join(c.Dir, "values.yaml") }

// fileOrder are the values files in the order a rendering reads them: the chart's
// values.yaml, then the -f files.
func (c *Chart) fileOrder() []string {
	out := []string{}
	if _, ok := c.files[c.valuesPath()]; ok {
		out = append(out, c.valuesPath())
	}
	return append(out, c.Opts.ValuesFiles...)
}

// userValues merges the -f files, a later one over an earlier one.
func (c *Chart) userValues() map[string]any {
	user := map[string]any{}
	for _, f := range c.Opts.ValuesFiles {
		v, err := common.ReadValues(c.files[f])
		if err == nil {
			mergeInto(user, v)
		}
	}
	return user
}

// Load reads a chart's folder and its -f files, and checks its dependencies are vendored.
func Load(dir string, o Options) (*Chart, error) {
	c := &Chart{Dir: dir, Opts: o, files: map[string][]byte{}}
	for _, f := range o.ValuesFiles {
		b, err := os.ReadFile(f)
		if err == nil {
			_, err = common.ReadValues(b)
		}
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", f, err)
		}
		c.files[f] = b
	}
	if b, err := os.ReadFile(c.valuesPath()); err == nil {
		c.files[c.valuesPath()] = b
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	if ch.Metadata != nil {
		for _, d := range ch.Metadata.Dependencies {
			if !have[d.Name] {
				where := ""
				if d.Repository != "" {
					where = " from " + d.Repository
				}
				c.Notes = append(c.Notes, fmt.Sprintf("dependency %q%s is declared in Chart.yaml but not vendored under charts/: rendered without it (run 'helm dependency build %s' to check it too)", d.Name, where, dir))
			}
		}
	}
	return c, nil
}

// Render renders the chart with its default values, the -f files, and extra values over
// them (probes, fixes under test), as "helm template" does, in-process.
func (c *Chart) Render(extra map[string]any) (*Rendering, error) {
	// Each rendering loads the chart afresh: processing dependencies edits the chart.
	ch, err := loader.Load(c.Dir)
	if err != nil {
		return nil, err
	}
	if b, ok := c.files[c.valuesPath()]; ok {
		v, err := common.ReadValues(b)
		if err != nil {
			return nil, fmt.Errorf("values.yaml: %w", err)
		}
		ch.Values = v
	}
	user := c.userValues()
	mergeInto(user, extra)
	// Dependencies declared but not vendored are left out, as the note says.
	if ch.Metadata != nil {
		have := map[string]bool{}
		for _, d := range ch.Dependencies() {
			have[d.Name()] = true
		}
		var deps []*chartv2.Dependency
		for _, d := range ch.Metadata.Dependencies {
			if have[d.Name] {
				deps = append(deps, d)
			}
		}
		ch.Metadata.Dependencies = deps
	}
	if err := chartutil.ProcessDependencies(ch, user); err != nil {
		return nil, err
	}
	vals, err := util.ToRenderValuesWithSchemaValidation(ch, user, common.ReleaseOptions{
		Name: c.Opts.release(), Namespace: c.Opts.namespace(), Revision: 1, IsInstall: true,
	}, nil, extra != nil)
	if err != nil {
		return nil, err
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, err
	}
	r := &Rendering{}
	prefix := ch.Name() + "/"
	for name, text := range out {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(text) == "" {
			continue
		}
		p := filepath.Join(c.Dir, filepath.FromSlash(strings.TrimPrefix(name, prefix)))
		r.Templates = append(r.Templates, Template{Name: name, Path: p, Text: text})
	}
	sort.Slice(r.Templates, func(i, j int) bool { return r.Templates[i].Name < r.Templates[j].Name })
	return r, nil
}

// mergeInto merges src into dst as Helm merges -f files: maps recursively, anything else
// replaced.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
			cp := map[string]any{}
			mergeInto(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// readFile returns a file's text, or "" when it cannot be read (a template inside a
// sub-chart archive).
func readFile(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return string(b)
}
