package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
	"github.com/psafix/psafix/rollout/imagelock"
)

// resolveOptions are how --resolve-images reaches registries (tests point it at an
// in-process registry).
var resolveOptions imagelock.Options

// lockPath is where the image lock lives: next to the config file, or in the current folder.
func lockPath(cfg *rollout.Config) string {
	if cfg != nil {
		return filepath.Join(filepath.Dir(cfg.Path), imagelock.FileName)
	}
	return imagelock.FileName
}

// images reads the image lock, offline, and gives its facts to the fixers after the
// config's own. With --resolve-images (or resolveImages: true in the config) it first reads
// the images the inputs name and the lock lacks from their registries, and adds them to the
// lock; an image that cannot be read is reported and stays unknown.
func (r *run) images(cfg *rollout.Config, inputs []input, stdin []byte) error {
	p := lockPath(cfg)
	lock, err := imagelock.Read(p)
	if err != nil {
		return err
	}
	if r.settings.ResolveImages == "true" {
		var names []string
		process(inputs, r.flags.jobs, func(in input) []string {
			switch {
			case in.err != nil, in.chart:
				return nil // a chart's images are known only once it is rendered
			case in.stdin:
				return imagelock.Scan(stdin)
			}
			snap, err := kio.ReadFile(in.path, r.flags.maxSize)
			if err != nil {
				return nil // the fix reports it
			}
			return imagelock.Scan(snap.Data)
		}, nil, func(l []string) { names = append(names, l...) })
		missing := lock.Missing(names)
		if len(missing) == 0 {
			fmt.Fprintf(r.stderr, "psafix: every image is in %s already (delete an entry to read it again)\n", p)
		} else {
			entries, notes := imagelock.Resolve(context.Background(), missing, resolveOptions)
			for _, n := range notes {
				fmt.Fprintf(r.stderr, "psafix: image %s\n", n)
			}
			if len(entries) > 0 {
				lock.Add(entries...)
				if err := imagelock.Write(p, lock); err != nil {
					return fmt.Errorf("writing %s: %w", p, err)
				}
			}
			fmt.Fprintf(r.stderr, "psafix: read %d of %s from their registries into %s\n", len(entries), kio.Count(len(missing), "image", "images"), p)
		}
	}
	r.opts.Images = append(slices.Clip(r.opts.Images), lock.Images(p)...)
	return nil
}
