package imagelock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Options say how Resolve reaches registries. The zero value is what psafix uses.
type Options struct {
	// Jobs bounds how many images are read at once; 0 means DefaultJobs.
	Jobs int
	// Timeout bounds the reading of one image, retries included; 0 means DefaultTimeout.
	Timeout time.Duration
	// Keychain gives credentials per registry; nil means authn.DefaultKeychain, which
	// reads the Docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json) and
	// its credential helpers, as docker pull does.
	Keychain authn.Keychain
	// Platform picks the image of a multi-platform index; the zero value is linux/amd64.
	// Users and volumes rarely differ between platforms.
	Platform v1.Platform
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// DefaultJobs and DefaultTimeout are the bounds of Options' zero value.
const (
	DefaultJobs    = 4
	DefaultTimeout = 30 * time.Second
)

// Note is an image Resolve could not read, and why. Notes are reported and the run goes on:
// the image is simply unknown, as it would be without --resolve-images.
type Note struct {
	Image   string
	Message string
}

func (n Note) String() string { return n.Image + ": " + n.Message }

// Resolve reads the config of each image from its registry: the digest its reference
// points to, the User and the Volumes. It reads up to Jobs images at once, gives each
// Timeout, and never fails as a whole: an image it cannot read (bad reference, no
// credentials, not found, no answer) is a Note. Entries and notes come back in the order
// of images; images with the same normalised reference are read once.
func Resolve(ctx context.Context, images []string, o Options) ([]Entry, []Note) {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Platform.OS == "" {
		o.Platform = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	type result struct {
		entry *Entry
		note  *Note
	}
	results := make([]result, len(images))
	seen := map[string]bool{}
	sem := make(chan struct{}, o.Jobs)
	var wg sync.WaitGroup
	for i, img := range images {
		ref, err := Normalize(img)
		if err != nil {
			// ggcr's message repeats the reference; say what it means instead.
			results[i].note = &Note{Image: img, Message: "not an image reference (a template placeholder?): no registry can say"}
			continue
		}
		if seen[ref] {
			continue
		}
		seen[ref] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i].note = &Note{Image: img, Message: "not read: " + ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			e, err := resolveOne(ctx, img, ref, o)
			if err != nil {
				results[i].note = &Note{Image: img, Message: explain(err, ref, o.Timeout)}
				return
			}
			results[i].entry = e
		}()
	}
	wg.Wait()
	var entries []Entry
	var notes []Note
	for _, r := range results {
		if r.entry != nil {
			entries = append(entries, *r.entry)
		}
		if r.note != nil {
			notes = append(notes, *r.note)
		}
	}
	return entries, notes
}

func resolveOne(ctx context.Context, img, normalized string, o Options) (*Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ref, err := name.ParseReference(img)
	if err != nil {
		return nil, err
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.Keychain),
		remote.WithPlatform(o.Platform),
		remote.WithUserAgent("psafix"),
	}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, err
	}
	image, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cfg, err := image.ConfigFile()
	if err != nil {
		return nil, err
	}
	e := &Entry{
		Image:     img,
		Reference: normalized,
		Digest:    desc.Digest.String(),
		User:      cfg.Config.User,
	}
	e.UID, e.GID = ParseUser(e.User)
	for p := range cfg.Config.Volumes {
		e.WritablePaths = append(e.WritablePaths, p)
	}
	sort.Strings(e.WritablePaths)
	return e, nil
}

// explain turns a registry error into a message that says what to do.
func explain(err error, ref string, timeout time.Duration) string {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			registry := ref
			if r, err := name.ParseReference(ref); err == nil {
				registry = r.Context().RegistryStr()
			}
			return fmt.Sprintf("the registry refused access (%d): log in with docker login %s; psafix reads the Docker config", te.StatusCode, registry)
		case http.StatusNotFound:
			return "not found in its registry: check the name and tag"
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer from the registry within %s", timeout)
	}
	return "could not read its config: " + err.Error()
}
