package rollout

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// ChartEntry is an entry of the config's charts: the values files a chart is rendered
// with, as "helm template -f" would be given them:
//
//	charts:
//	  - path: charts/web                        # the chart's folder
//	    values: [deploy/web/values-prod.yaml]   # -f files, in order: a later one wins
//
// Both are relative to the config file's folder.
type ChartEntry struct {
	Path   string
	Values []string
	Line   int
}

var chartFields = []string{"path", "values"}

func parseChart(n *yaml.Node, fail failFunc) (ChartEntry, error) {
	e := ChartEntry{Line: n.Line}
	m, err := fields(n, "a charts: entry", chartFields, fail)
	if err != nil {
		return e, err
	}
	if e.Path, err = scalarField(m, "path", fail); err != nil {
		return e, err
	}
	if e.Path == "" {
		return e, fail(n, "a charts: entry needs path: the chart's folder, relative to this file's folder")
	}
	if v := m["values"]; v != nil && !kio.IsNull(v) {
		if e.Values, err = stringList(v, "values", fail); err != nil {
			return e, err
		}
	}
	if len(e.Values) == 0 {
		return e, fail(n, "a charts: entry lists its values files (values: [FILE, ...], relative to this file's folder)")
	}
	return e, nil
}

// dir is the folder paths in the config are relative to.
func (c *Config) dir() string { return filepath.Dir(c.Path) }

// join names p, relative to the config's folder, as the current folder sees it.
func (c *Config) join(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir(), p)
}

// checkCharts checks that each charts: entry names a chart and values files that exist:
// a typo would otherwise render the chart without its values, silently.
func (c *Config) checkCharts() error {
	for _, e := range c.Charts {
		if st, err := os.Stat(filepath.Join(c.join(e.Path), "Chart.yaml")); err != nil || !st.Mode().IsRegular() {
			return &ConfigError{Path: c.Path, Line: e.Line, Msg: fmt.Sprintf("charts: %s holds no Chart.yaml (path is relative to this file's folder)", e.Path)}
		}
		for _, v := range e.Values {
			if st, err := os.Stat(c.join(v)); err != nil || !st.Mode().IsRegular() {
				return &ConfigError{Path: c.Path, Line: e.Line, Msg: fmt.Sprintf("charts: values file %s of %s not found (values are relative to this file's folder)", v, e.Path)}
			}
		}
	}
	return nil
}

// ChartValues returns the values files the config lists for the chart in folder dir
// (named relative to the current folder when the config's path is), and whether it lists
// any.
func (c *Config) ChartValues(dir string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	want, err := filepath.Abs(dir)
	if err != nil {
		return nil, false
	}
	for _, e := range c.Charts {
		got, err := filepath.Abs(c.join(e.Path))
		if err != nil || got != want {
			continue
		}
		out := make([]string, 0, len(e.Values))
		for _, v := range e.Values {
			out = append(out, c.join(v))
		}
		return out, true
	}
	return nil, false
}

// ChartOfValues returns the folder of the chart whose values file the config lists p as
// (named relative to the current folder when the config's path is): a values file given
// directly, as pre-commit passes a staged one, stands for its chart.
func (c *Config) ChartOfValues(p string) (string, bool) {
	if c == nil {
		return "", false
	}
	want, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	for _, e := range c.Charts {
		for _, v := range e.Values {
			if got, err := filepath.Abs(c.join(v)); err == nil && got == want {
				return c.join(e.Path), true
			}
		}
	}
	return "", false
}

// ChartOfValues is Config.ChartOfValues for the config of p (none: false).
func (cs *Configs) ChartOfValues(p string) (string, bool) {
	if cs == nil {
		return "", false
	}
	c, err := cs.For(p)
	if err != nil {
		return "", false
	}
	return c.ChartOfValues(p)
}
