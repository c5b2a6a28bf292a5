package imagelock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
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
	results := make([]result, len(images))
	seen := map[string]bool{}
	// A registry that did not answer one image is not asked for the others: a run with
	// many images of an unreachable registry costs one timeout, not one per image.
	var mu sync.Mutex
	down := map[string]string{}
	type job struct {
		i        int
		img, ref string
	}
	var todo []job
	for i, img := range images {
		ref, err := Normalize(img)
		if err != nil {
			// ggcr's message repeats the reference; say what it means instead.
			results[i].note = &Note{Image: img, Message: "not an image reference (a template placeholder?): no registry can say"}
			continue
		}
		if !seen[ref] {
			seen[ref] = true
			todo = append(todo, job{i, img, ref})
		}
	}
	// Jobs workers take the images in order, so that which image of a registry is asked
	// first does not depend on scheduling.
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range min(o.Jobs, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results[j.i] = resolveJob(ctx, j.img, j.ref, o, &mu, down)
			}
		}()
	}
	for _, j := range todo {
		jobs <- j
	}
	close(jobs)
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

type result struct {
	entry *Entry
	note  *Note
}

// resolveJob reads one image, unless the context is done or its registry did not answer
// an earlier one.
func resolveJob(ctx context.Context, img, ref string, o Options, mu *sync.Mutex, down map[string]string) result {
	if err := ctx.Err(); err != nil {
		return result{note: &Note{Image: img, Message: "not read: " + err.Error()}}
	}
	registry := registryOf(ref)
	mu.Lock()
	first, isDown := down[registry]
	mu.Unlock()
	if isDown {
		return result{note: &Note{Image: img, Message: fmt.Sprintf("not read: %s did not answer for %s", registry, first)}}
	}
	e, err := resolveOne(ctx, img, ref, o)
	if err != nil {
		if unreachable(err) {
			mu.Lock()
			if _, ok := down[registry]; !ok {
				down[registry] = img
			}
			mu.Unlock()
		}
		return result{note: &Note{Image: img, Message: explain(err, ref, o.Timeout)}}
	}
	return result{entry: e}
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
	base := o.Transport
	if base == nil {
		base = remote.DefaultTransport
	}
	opts = append(opts, remote.WithTransport(limitTransport{base}))
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

// MaxResponse bounds every response psafix reads from a registry. Manifests, indexes and
// image configs are kilobytes (registries themselves refuse manifests over 4 MiB), and
// psafix never downloads layers: a registry that sends more is not believed, and cannot
// make psafix grow without bound.
const MaxResponse = 4 << 20

// limitTransport cuts every response body at MaxResponse bytes with an error.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = &limitedBody{ReadCloser: resp.Body, left: MaxResponse}
	}
	return resp, err
}

// errTooLarge is a registry response over MaxResponse.
var errTooLarge = fmt.Errorf("the registry sent more than %d MiB for one manifest or config", MaxResponse>>20)

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly MaxResponse from a longer one.
		var one [1]byte
		if n, _ := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return b.ReadCloser.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// registryOf returns the registry of a normalised reference.
func registryOf(ref string) string {
	r, _, _ := strings.Cut(ref, "/")
	return r
}

// unreachable reports whether an error says the registry could not be reached at all (no
// answer in time, no connection), rather than that it refused one image.
func unreachable(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
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
