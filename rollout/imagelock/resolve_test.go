package imagelock

import (
	"context"
	"encoding/base64"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// newRegistry starts the in-process registry of go-containerregistry on the loopback
// address, behind wrap when given, and returns its host ("127.0.0.1:port").
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// image is an image with an empty filesystem and the given user and volumes.
func image(t *testing.T, user string, volumes ...string) v1.Image {
	t.Helper()
	cfg := v1.Config{User: user}
	if len(volumes) > 0 {
		cfg.Volumes = map[string]struct{}{}
		for _, v := range volumes {
			cfg.Volumes[v] = struct{}{}
		}
	}
	img, err := mutate.Config(empty.Image, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img to ref with opts (credentials, for a registry that wants them) and returns
// its digest.
func push(t *testing.T, ref string, img v1.Image, opts ...remote.Option) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func id(i int64) *int64 { return &i }

func TestResolve(t *testing.T) {
	host := newRegistry(t, nil)
	app := push(t, host+"/app:1", image(t, "101:102", "/var/cache", "/data"))
	named := push(t, host+"/named:1", image(t, "nginx"))
	root := push(t, host+"/root:1", image(t, ""))
	uidOnly := push(t, host+"/uid:1", image(t, "1000"))

	// A multi-platform index: the linux/amd64 image is the one read.
	amd, arm := image(t, "1000:1000"), image(t, "2000:2000")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
	)
	multiRef, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(multiRef, idx); err != nil {
		t.Fatal(err)
	}
	multi, _ := idx.Digest()

	images := []string{
		host + "/app:1",
		host + "/named:1",
		host + "/app:1", // read once
		host + "/root:1",
		host + "/uid:1",
		host + "/multi:1",
		host + "/app@" + app,
		host + "/missing:1",
		"Not A Reference",
	}
	entries, notes := Resolve(context.Background(), images, Options{})
	want := []Entry{
		{Image: host + "/app:1", Reference: host + "/app:1", Digest: app, User: "101:102", UID: id(101), GID: id(102), WritablePaths: []string{"/data", "/var/cache"}},
		{Image: host + "/named:1", Reference: host + "/named:1", Digest: named, User: "nginx"},
		{Image: host + "/root:1", Reference: host + "/root:1", Digest: root, User: ""},
		{Image: host + "/uid:1", Reference: host + "/uid:1", Digest: uidOnly, User: "1000", UID: id(1000)},
		{Image: host + "/multi:1", Reference: host + "/multi:1", Digest: multi.String(), User: "1000:1000", UID: id(1000), GID: id(1000)},
		{Image: host + "/app@" + app, Reference: host + "/app@" + app, Digest: app, User: "101:102", UID: id(101), GID: id(102), WritablePaths: []string{"/data", "/var/cache"}},
	}
	if d := cmp.Diff(want, entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if len(notes) != 2 {
		t.Fatalf("notes: %v", notes)
	}
	if notes[0].Image != host+"/missing:1" || !strings.Contains(notes[0].Message, "not found") {
		t.Errorf("note for a missing image: %v", notes[0])
	}
	if notes[1].Image != "Not A Reference" || !strings.Contains(notes[1].Message, "not an image reference") {
		t.Errorf("note for a bad reference: %v", notes[1])
	}

	// The lock pins the digest: a manifest naming the image by digest finds the entry
	// read by tag, and only unknown references are missing.
	l := &Lock{}
	l.Add(entries[:5]...)
	if e, ok := l.Lookup(host + "/app:1@" + app); !ok || e.Reference != host+"/app:1" {
		t.Errorf("lookup by digest: %v %v", e, ok)
	}
	if got := l.Missing([]string{host + "/app:1", host + "/app:2", host + "/app:2", "bad ref!", "bad ref!"}); !cmp.Equal(got, []string{host + "/app:2", "bad ref!"}) {
		t.Errorf("missing: %v", got)
	}
}

// TestResolveCredentials: credentials come from the Docker config, as docker pull finds
// them; without them the note says how to log in.
func TestResolveCredentials(t *testing.T) {
	const user, pass = "ci", "s3cret"
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	digest := push(t, host+"/private:1", image(t, "1001"), remote.WithAuth(&authn.Basic{Username: user, Password: pass}))

	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	_, notes := Resolve(context.Background(), []string{host + "/private:1"}, Options{})
	if len(notes) != 1 || !strings.Contains(notes[0].Message, "docker login "+host) {
		t.Fatalf("without credentials: %v", notes)
	}

	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	entries, notes := Resolve(context.Background(), []string{host + "/private:1"}, Options{})
	if len(notes) != 0 || len(entries) != 1 || entries[0].Digest != digest || *entries[0].UID != 1001 {
		t.Fatalf("with credentials: %v %v", entries, notes)
	}
}

// TestResolveTimeout: a registry that never answers costs Timeout per image and a note,
// never the run.
func TestResolveTimeout(t *testing.T) {
	host := newRegistry(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		})
	})
	start := time.Now()
	images := []string{host + "/slow:1", host + "/slow:2", host + "/slow:3"}
	entries, notes := Resolve(context.Background(), images, Options{Timeout: 200 * time.Millisecond, Jobs: 1})
	if len(entries) != 0 || len(notes) != 3 || !strings.Contains(notes[0].Message, "no answer from the registry within 200ms") {
		t.Fatalf("entries %v, notes %v", entries, notes)
	}
	// The registry is not asked again after it did not answer once.
	for _, n := range notes[1:] {
		if want := "not read: " + host + " did not answer for " + host + "/slow:1"; n.Message != want {
			t.Errorf("note %q, want %q", n.Message, want)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

// TestResolveJobs: no more than Jobs images are read at once.
func TestResolveJobs(t *testing.T) {
	var mu sync.Mutex
	inFlight, most := 0, 0
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
			h.ServeHTTP(w, r)
			mu.Lock()
			inFlight--
			mu.Unlock()
		})
	})
	var images []string
	for i := range 8 {
		ref := host + "/app:" + string(rune('a'+i))
		push(t, ref, image(t, "1000"))
		images = append(images, ref)
	}
	mu.Lock()
	most = 0
	mu.Unlock()
	entries, notes := Resolve(context.Background(), images, Options{Jobs: 2})
	if len(entries) != 8 || len(notes) != 0 {
		t.Fatalf("entries %d, notes %v", len(entries), notes)
	}
	if most > 2 {
		t.Errorf("%d requests at once with Jobs 2", most)
	}
}

// TestResolveTooLarge: a registry that sends an endless manifest is cut off with a note.
func TestResolveTooLarge(t *testing.T) {
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet {
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				chunk := make([]byte, 1<<20)
				for range 64 {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	push(t, host+"/big:1", image(t, "1000"))
	entries, notes := Resolve(context.Background(), []string{host + "/big:1"}, Options{})
	if len(entries) != 0 || len(notes) != 1 || !strings.Contains(notes[0].Message, "more than 4 MiB") {
		t.Fatalf("entries %v, notes %v", entries, notes)
	}
}
