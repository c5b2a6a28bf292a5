package rollout

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Excludes are the paths a run leaves out: --exclude globs relative to the current folder,
// and the config file's exclude: globs relative to its folder. Globs are gitignore-style:
// "*" and "?" stay within a folder name, "**" spans folders, a glob without a "/" matches a
// name at any depth, one ending in "/" matches folders only, and a folder excluded excludes
// everything below it.
type Excludes struct {
	rules []excludeRule
}

type excludeRule struct {
	base    string // absolute folder the glob is relative to
	re      *regexp.Regexp
	dirOnly bool
}

// NewExcludes compiles the --exclude globs and those of the config files found for args
// (each relative to its own folder).
func NewExcludes(flagGlobs []string, config string, args []string) *Excludes {
	x := &Excludes{}
	if wd, err := os.Getwd(); err == nil {
		for _, g := range flagGlobs {
			x.add(wd, g)
		}
	}
	cfgs, _ := ConfigsFor(config, args)
	for _, cfg := range cfgs {
		if dir, err := filepath.Abs(filepath.Dir(cfg.Path)); err == nil {
			for _, g := range cfg.Exclude {
				x.add(dir, g)
			}
		}
	}
	return x
}

func (x *Excludes) add(base, glob string) {
	g := filepath.ToSlash(strings.TrimSpace(glob))
	if g == "" {
		return
	}
	r := excludeRule{base: base}
	if strings.HasSuffix(g, "/") {
		r.dirOnly, g = true, strings.TrimRight(g, "/")
	}
	if strings.HasPrefix(g, "/") {
		g = strings.TrimLeft(g, "/")
	} else if !strings.Contains(g, "/") {
		g = "**/" + g
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); {
		switch {
		case strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 3
		case strings.HasPrefix(g[i:], "**"):
			b.WriteString(".*")
			i += 2
		case g[i] == '*':
			b.WriteString("[^/]*")
			i++
		case g[i] == '?':
			b.WriteString("[^/]")
			i++
		default:
			b.WriteString(regexp.QuoteMeta(g[i : i+1]))
			i++
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return
	}
	r.re = re
	x.rules = append(x.rules, r)
}

// Match reports whether path (a folder when dir) is excluded: it, or a folder above it
// below a glob's base, matches.
func (x *Excludes) Match(path string, dir bool) bool {
	if x == nil || len(x.rules) == 0 {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for _, r := range x.rules {
		rel, err := filepath.Rel(r.base, abs)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for i := range parts {
			isDir := dir || i < len(parts)-1
			if r.dirOnly && !isDir {
				continue
			}
			if r.re.MatchString(strings.Join(parts[:i+1], "/")) {
				return true
			}
		}
	}
	return false
}
