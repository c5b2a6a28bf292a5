package overlay

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/psafix/psafix/fixers"
)

// builtFrom is how a built workload is named: "Deployment/web (built, from base/x.yaml)".
const builtFrom = " (built, from "

// Counted remembers the workloads a run has counted, each by the file it comes from and its
// Kind/namespace/name, so that a workload is counted once when a run checks both its file
// and an overlay that builds it unchanged in name and namespace ("psafix check base
// overlays/prod"). An overlay that renames a workload or moves it to another namespace
// builds another object: that one is counted too.
type Counted struct {
	// Off: the run builds no overlay, so no workload can be met twice and Once passes its
	// results through without remembering them (a 10 MiB file of small documents would
	// otherwise keep every workload's findings, tens of MiB, for nothing).
	Off  bool
	seen map[string]met
	// Dups counts the workloads met again and not counted.
	Dups int
}

// met is where a workload was first met (the path of the result: the file, or the
// kustomization of a build) and its findings there, as text without location. Two objects
// of the same name in one file are two workloads, as they always were.
type met struct {
	view  string
	texts []string
}

// Once returns the pods of a result (of the file path) not counted yet, and counts them,
// with the findings to report: those of a workload met again are dropped when they are the
// ones reported already (the overlay changed nothing they are about), and kept otherwise.
func (c *Counted) Once(path string, pods []fixers.PodSummary, findings []fixers.Report) ([]fixers.PodSummary, []fixers.Report) {
	if c.Off {
		return pods, findings
	}
	if c.seen == nil {
		c.seen = map[string]met{}
	}
	texts := func(object string) []string {
		var out []string
		for _, f := range findings {
			if f.Object == object {
				out = append(out, f.Container+"\x00"+string(f.Check)+"\x00"+f.Message)
			}
		}
		slices.Sort(out)
		return out
	}
	out := pods[:0:0]
	drop := map[string]bool{}
	for _, p := range pods {
		file, id := path, p.Object
		if i := strings.Index(id, builtFrom); i > 0 {
			file, id = strings.TrimSuffix(id[i+len(builtFrom):], ")"), id[:i]
		}
		if abs, err := filepath.Abs(file); err == nil {
			file = abs
		}
		k := file + "\x00" + id
		if before, ok := c.seen[k]; ok && before.view != path {
			c.Dups++
			drop[p.Object] = slices.Equal(before.texts, texts(p.Object))
			continue
		} else if !ok {
			c.seen[k] = met{path, texts(p.Object)}
		}
		out = append(out, p)
	}
	if len(drop) == 0 {
		return out, findings
	}
	kept := findings[:0:0]
	for _, f := range findings {
		if !drop[f.Object] {
			kept = append(kept, f)
		}
	}
	return out, kept
}
