// Where configs are: .psafix.yaml found upward from each path (or named with --config),
// loaded once each, and the Namespace files a config names.

package rollout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FindConfig looks for .psafix.yaml in start's folder and its parents, up to the root of
// the repository (a folder with .git) or of the file system.
func FindConfig(start string) string {
	dir, err := filepath.Abs(start)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		p := filepath.Join(dir, ConfigName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ConfigFor finds the config of a run for what is read once per run rather than per file
// (excludes, the image lock): explicit (--config), or the first file found upward from
// the paths in order (standard input, "-": from the current folder). It returns nil, nil
// when there is no config file. Each file is fixed with its own config: see Configs.
func ConfigFor(explicit string, args []string) (*Config, error) {
	all, err := ConfigsFor(explicit, args)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// ConfigsFor are the distinct configs found upward from the paths, in the order of the
// paths (only the explicit one with --config).
func ConfigsFor(explicit string, args []string) ([]*Config, error) {
	cs, err := NewConfigs(explicit)
	if err != nil {
		return nil, err
	}
	var out []*Config
	for _, a := range args {
		c, err := cs.For(a)
		if err != nil {
			return nil, err
		}
		if c != nil && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Configs finds the config of each file: the nearest .psafix.yaml upward from the file to
// the repository root (FindConfig), the same whatever path named the file; or the explicit
// one (--config) for every file. Each folder is looked up once and each config loaded once.
// A monorepo run over files under two configs fixes each file with its own.
type Configs struct {
	explicit *Config
	dirs     map[string]string
	loaded   map[string]*Config
}

// NewConfigs starts the lookup; explicit is --config, or "".
func NewConfigs(explicit string) (*Configs, error) {
	cs := &Configs{dirs: map[string]string{}, loaded: map[string]*Config{}}
	if explicit != "" {
		c, err := LoadConfig(explicit)
		if err != nil {
			return nil, err
		}
		cs.explicit = c
	}
	return cs, nil
}

// For is the config of the file or folder p ("-", standard input: the current folder's),
// or nil when there is none.
func (cs *Configs) For(p string) (*Config, error) {
	if cs.explicit != nil {
		return cs.explicit, nil
	}
	if p == "-" {
		p = "."
	}
	dir, err := filepath.Abs(p)
	if err != nil {
		return nil, nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	return cs.inDir(dir)
}

// ForFile is For of a path known to be a file (found in a walk): no stat.
func (cs *Configs) ForFile(p string) (*Config, error) {
	if cs.explicit != nil {
		return cs.explicit, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, nil
	}
	return cs.inDir(filepath.Dir(abs))
}

func (cs *Configs) inDir(dir string) (*Config, error) {
	found, ok := cs.dirs[dir]
	if !ok {
		found = FindConfig(dir)
		cs.dirs[dir] = found
	}
	if found == "" {
		return nil, nil
	}
	if c, ok := cs.loaded[found]; ok {
		return c, nil
	}
	c, err := LoadConfig(rel(found))
	if err != nil {
		return nil, err
	}
	cs.loaded[found] = c
	return c, nil
}

// NamespaceFiles are the files the config's namespaces: names, relative to the current
// folder when below it: each entry is a file, a folder (its *.yaml, *.yml and *.json files)
// or a glob, relative to the config file's folder. An entry that matches nothing is an
// error, as a typo would leave every namespace without its labels.
func (c *Config) NamespaceFiles() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if p = rel(p); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	dir := filepath.Dir(c.Path)
	for _, g := range c.Namespaces {
		pat := g
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(dir, pat)
		}
		matches, _ := filepath.Glob(pat)
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: namespaces: %q matches no file", c.Path, g)
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("%s: namespaces: %s: %v", c.Path, m, errMsg(err))
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				switch strings.ToLower(filepath.Ext(p)) {
				case ".yaml", ".yml", ".json":
					if d.Name() != ConfigName {
						add(p)
					}
				}
				return nil
			})
		}
	}
	return out, nil
}

// rel shows a path relative to the current folder when it is below it.
func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// errMsg is an error without the path an fs.PathError repeats.
func errMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
