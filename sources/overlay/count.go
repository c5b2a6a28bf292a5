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
	seen map[string][]string // the workload -> its findings, as text without location
	// Dups counts the workloads met again and not counted.
	Dups int
}

// Once returns the pods of a result (of the file path) not counted yet, and counts them,
// with the findings to report: those of a workload met again are dropped when they are the
// ones reported already (the overlay changed nothing they are about), and kept otherwise.
func (c *Counted) Once(path string, pods []fixers.PodSummary, findings []fixers.Report) ([]fixers.PodSummary, []fixers.Report) {
	if c.seen == nil {
		c.seen = map[string][]string{}
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
		if before, ok := c.seen[k]; ok {
			c.Dups++
			drop[p.Object] = slices.Equal(before, texts(p.Object))
			continue
		}
		c.seen[k] = texts(p.Object)
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
