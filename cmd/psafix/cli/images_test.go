package cli

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/psafix/psafix/rollout/imagelock"
)

// toRegistry sends every registry request to the in-process registry at host, so that
// Docker Hub names reach it and no test touches the network.
type toRegistry struct{ host string }

func (t toRegistry) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = "http", t.host, t.host
	return http.DefaultTransport.RoundTrip(req)
}

const apiDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
      - name: api
        image: acme/api:1.4
      - name: named
        image: acme/named:1
      - name: gone
        image: acme/gone:1
`

// TestResolveImages: --resolve-images reads the images' users into the lock next to the
// config, the fix uses them, and later runs give the same output from the lock with no
// registry at all.
func TestResolveImages(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for ref, user := range map[string]string{"acme/api:1.4": "10001:10001", "acme/named:1": "nginx"} {
		img, err := mutate.Config(empty.Image, v1.Config{User: user})
		if err != nil {
			t.Fatal(err)
		}
		r, err := name.ParseReference(host + "/" + ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r, img); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of this machine
	resolveOptions = imagelock.Options{Transport: toRegistry{host}}
	defer func() { resolveOptions = imagelock.Options{} }()

	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".psafix.yaml"), configHead)
	manifests := writeFile(t, filepath.Join(root, "k8s", "api.yaml"), apiDeployment)
	lock := filepath.Join(root, imagelock.FileName)

	out, errs, code := runCLIArgs(t, "--resolve-images", "--diff", manifests)
	if code != ExitFindings {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	for _, want := range []string{
		"psafix: image acme/gone:1: not found in its registry",
		"psafix: read 2 of 3 images from their registries into " + lock,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	// The image's own user, not psafix's default: the pod-level UID is the one the
	// containers agree on only when they do, so look for it anywhere.
	if !strings.Contains(out, "runAsUser: 10001") {
		t.Errorf("the image's user was not used:\n%s", out)
	}
	data, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"image: acme/api:1.4\n  reference: docker.io/acme/api:1.4\n", `user: "10001:10001"`, "uid: 10001\n  gid: 10001\n", `user: "nginx"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("lock lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "gone") {
		t.Errorf("an image that could not be read is in the lock:\n%s", data)
	}

	// Offline: no registry, the same output from the lock.
	srv.Close()
	out2, errs2, _ := runCLIArgs(t, "--diff", manifests)
	if out2 != out {
		t.Errorf("offline run differs:\n%s\nstderr:\n%s", out2, errs2)
	}
	if strings.Contains(errs2, "registr") {
		t.Errorf("an offline run talked of registries:\n%s", errs2)
	}

	// Asked again, only the image that could not be read is looked up; the lock stays.
	_, errs3, _ := runCLIArgs(t, "--resolve-images", "--diff", manifests)
	if !strings.Contains(errs3, "read 0 of 1 image ") {
		t.Errorf("second resolve:\n%s", errs3)
	}
	if again, _ := os.ReadFile(lock); string(again) != string(data) {
		t.Errorf("the lock changed:\n%s", again)
	}

	// A lock psafix cannot read stops the run at its line.
	writeFile(t, lock, "version: 7\n")
	_, errs4, code := runCLIArgs(t, "--diff", manifests)
	if code != ExitError || !strings.Contains(errs4, lock+":1: version 7 is not one this psafix reads") {
		t.Errorf("exit %d, stderr:\n%s", code, errs4)
	}
}

// TestResolveImagesConfig: resolveImages: true in .psafix.yaml asks for the lookup;
// --resolve-images=false overrules it.
func TestResolveImagesConfig(t *testing.T) {
	resolveOptions = imagelock.Options{Transport: toRegistry{"127.0.0.1:1"}} // nothing listens
	defer func() { resolveOptions = imagelock.Options{} }()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	root := t.TempDir()
	writeFile(t, filepath.Join(root, ".psafix.yaml"), configHead+"defaults:\n  resolveImages: true\n")
	manifests := writeFile(t, filepath.Join(root, "api.yaml"), apiDeployment)
	_, errs, _ := runCLIArgs(t, "--diff", manifests)
	if !strings.Contains(errs, "read 0 of 3 images from their registries") {
		t.Errorf("resolveImages: true did not resolve:\n%s", errs)
	}
	_, errs, _ = runCLIArgs(t, "--resolve-images=false", "--diff", manifests)
	if strings.Contains(errs, "registr") {
		t.Errorf("--resolve-images=false resolved:\n%s", errs)
	}
}

// TestFixtureLocks: the lock files of the fixtures are what psafix writes, byte for byte.
func TestFixtureLocks(t *testing.T) {
	for _, dir := range []string{"testdata/images", "testdata/images-config-wins"} {
		p := filepath.Join(dir, imagelock.FileName)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		l, err := imagelock.Parse(p, data)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(l.Marshal()); got != string(data) {
			t.Errorf("%s is not what psafix writes:\n%s", p, got)
		}
	}
}
