// Package chart makes Helm charts a source psafix understands: it finds them in a walk,
// renders them in-process with Helm's own engine (no helm binary, no network), checks every
// rendered workload, and fixes a chart where its author would: in the values file that feeds
// each security field, found by rendering with probe values, never by guessing key names.
//
// Helm's code is linked only here (and into the command that wires it in): fixers/ and kio/
// never import it.
package chart

import (
	"os"
	"path/filepath"
)

// IsChart reports whether dir holds a Chart.yaml: a chart, wherever a walk meets it.
func IsChart(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && st.Mode().IsRegular()
}

// Root returns the chart a path belongs to: the nearest folder at or above it that holds a
// Chart.yaml, or, for a sub-chart vendored under a parent's charts/, the parent (sub-charts
// render with their parent). ok is false when no chart holds the path.
func Root(path string) (root string, ok bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	for dir := abs; ; {
		if IsChart(dir) {
			root, ok = dir, true
			// A chart under a parent's charts/ renders with the parent.
			if p := filepath.Dir(dir); filepath.Base(p) == "charts" && IsChart(filepath.Dir(p)) {
				dir = filepath.Dir(p)
				continue
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if !ok {
		return "", false
	}
	return relativeLike(path, root), true
}

// relativeLike names root the way the user named path: relative when path was relative, so
// that reports say "chart/templates/x.yaml", not a path of this machine.
func relativeLike(path, root string) string {
	if filepath.IsAbs(path) {
		return root
	}
	wd, err := os.Getwd()
	if err != nil {
		return root
	}
	if rel, err := filepath.Rel(wd, root); err == nil {
		return rel
	}
	return root
}
