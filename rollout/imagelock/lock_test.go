package imagelock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/psafix/psafix/fixers"
)

const (
	d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                                 "docker.io/library/nginx:latest",
		"nginx:1.27":                            "docker.io/library/nginx:1.27",
		"docker.io/nginx:1.27":                  "docker.io/library/nginx:1.27",
		"docker.io/library/nginx:1.27":          "docker.io/library/nginx:1.27",
		"index.docker.io/library/nginx:1.27":    "docker.io/library/nginx:1.27",
		"bitnami/redis:7":                       "docker.io/bitnami/redis:7",
		"ghcr.io/org/app":                       "ghcr.io/org/app:latest",
		"localhost:5000/app:v1":                 "localhost:5000/app:v1",
		"nginx@" + d1:                           "docker.io/library/nginx@" + d1,
		"nginx:1.27@" + d1:                      "docker.io/library/nginx@" + d1,
		"registry.example.com:8443/a/b/c:1.0.0": "registry.example.com:8443/a/b/c:1.0.0",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Nginx", "nginx:", "a b", "nginx@sha256:12"} {
		if got, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseUser(t *testing.T) {
	for _, c := range []struct {
		user     string
		uid, gid *int64
	}{
		{"", nil, nil},
		{"101", id(101), nil},
		{"101:102", id(101), id(102)},
		{"0", id(0), nil},
		{"0:0", id(0), id(0)},
		{"nginx", nil, nil},
		{"www-data", nil, nil},
		{"root", nil, nil},
		{"nginx:101", nil, id(101)},
		{"101:nginx", id(101), nil},
		{"-1", nil, nil},
		{"+5", nil, nil},
		{"007", nil, nil},
		{"4294967296", nil, nil},
	} {
		uid, gid := ParseUser(c.user)
		if !cmp.Equal(uid, c.uid) || !cmp.Equal(gid, c.gid) {
			t.Errorf("ParseUser(%q) = %v, %v; want %v, %v", c.user, uid, gid, c.uid, c.gid)
		}
	}
}

var sample = &Lock{Entries: []Entry{
	{Image: "ghcr.io/org/app:2", Reference: "ghcr.io/org/app:2", Digest: d2, User: "nginx"},
	{Image: "app:1", Reference: "docker.io/library/app:1", Digest: d1, User: "101:102", UID: id(101), GID: id(102), WritablePaths: []string{"/data", "/var/cache: x #y"}},
	{Image: "root", Reference: "docker.io/library/root:latest", Digest: d2, User: ""},
}}

const sampleFile = Header + `version: 1
images:
- image: app:1
  reference: docker.io/library/app:1
  digest: sha256:1111111111111111111111111111111111111111111111111111111111111111
  user: "101:102"
  uid: 101
  gid: 102
  writablePaths:
  - /data
  - '/var/cache: x #y'
- image: root
  reference: docker.io/library/root:latest
  digest: sha256:2222222222222222222222222222222222222222222222222222222222222222
  user: ""
- image: ghcr.io/org/app:2
  reference: ghcr.io/org/app:2
  digest: sha256:2222222222222222222222222222222222222222222222222222222222222222
  user: "nginx"
`

// TestLockFile: the file is sorted and stable, reads back to the same lock, and is not
// rewritten when nothing changed.
func TestLockFile(t *testing.T) {
	l := &Lock{}
	l.Add(sample.Entries...)
	got := string(l.Marshal())
	if d := cmp.Diff(sampleFile, got); d != "" {
		t.Fatalf("lock file (-want +got):\n%s", d)
	}
	back, err := Parse("x", []byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(l, back); d != "" {
		t.Fatalf("read back (-want +got):\n%s", d)
	}

	p := filepath.Join(t.TempDir(), FileName)
	if l, err := Read(p); err != nil || len(l.Entries) != 0 {
		t.Fatalf("a missing lock: %v %v", l, err)
	}
	if err := Write(p, back); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(p, old, old)
	if err := Write(p, back); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(p); !info.ModTime().Equal(old) {
		t.Errorf("an unchanged lock was rewritten")
	}
	read, err := Read(p)
	if err != nil || !cmp.Equal(read, l) {
		t.Fatalf("Read: %v %v", read, err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	// Add replaces the entry of the same reference.
	l.Add(Entry{Image: "docker.io/app:1", Reference: "docker.io/library/app:1", Digest: d2, User: "7", UID: id(7)})
	if len(l.Entries) != 3 || l.Entries[0].Digest != d2 {
		t.Errorf("Add: %v", l.Entries)
	}
}

// TestParseErrors: a lock psafix cannot trust is an error at its line that says what to do.
func TestParseErrors(t *testing.T) {
	entry := "- image: app:1\n  reference: docker.io/library/app:1\n  digest: " + d1 + "\n"
	for _, c := range []struct{ in, want string }{
		{"version: 2\nimages: []\n", "lock.yaml:1: version 2 is not one this psafix reads (1)"},
		{"images: []\n", "lock.yaml:1: no version"},
		{"version: 1\nimage: []\n", `lock.yaml:2: unknown field "image" in the lock file`},
		{"version: 1\nimages: {}\n", "lock.yaml:2: images must be a list"},
		{"version: 1\nimages:\n- image: app:1\n", "lock.yaml:3: an image entry needs reference"},
		{"version: 1\nimages:\n" + entry + "  uid: 5\n", `lock.yaml:6: uid 5 is not what user "" says`},
		{"version: 1\nimages:\n" + entry + "  user: \"5\"\n  uid: x\n", `lock.yaml:7: uid must be a number from 0 to 2147483647, not "x"`},
		{"version: 1\nimages:\n" + entry + "  writablePaths: [tmp]\n", `lock.yaml:6: writable path must be absolute, not "tmp"`},
		{"version: 1\nimages:\n" + entry + "  users: x\n", `lock.yaml:6: unknown field "users" in an image entry`},
		{"version: 1\nimages:\n" + entry + entry, "lock.yaml:6: a second entry for docker.io/library/app:1 (the first is at line 3)"},
		{"version: 1\nimages:\n- image: app:1\n  reference: app:1\n  digest: " + d1 + "\n", `lock.yaml:4: reference "app:1" is not a normalised image reference`},
		{"version: 1\nimages:\n- image: app:1\n  reference: docker.io/library/app:1\n  digest: sha256:12\n", `lock.yaml:5: digest "sha256:12" is not sha256: and 64 hex digits`},
		{"version: 1\nimages:\n- image: a\n  reference: docker.io/library/a@" + d1 + "\n  digest: " + d2 + "\n", "lock.yaml:5: digest " + d2 + " differs from the reference's " + d1},
		{"version: 1\nimages: [\n", "lock.yaml:2: did not find expected node content"},
	} {
		_, err := Parse("lock.yaml", []byte(c.in))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Parse(%q):\n got %v\nwant %s", c.in, err, c.want)
		}
	}
	if l, err := Parse("lock.yaml", []byte("# only a comment\n")); err != nil || len(l.Entries) != 0 {
		t.Errorf("an empty lock: %v %v", l, err)
	}
}

// TestImages: entries with a numeric non-root user become exact facts for the fixers; a
// fact never spreads to another tag, and an image running as root is not called one that
// needs root.
func TestImages(t *testing.T) {
	l := &Lock{}
	l.Add(sample.Entries...)
	l.Add(Entry{Image: "zero", Reference: "docker.io/library/zero:latest", Digest: d1, User: "0", UID: id(0)})
	imgs := l.Images(".psafix-images.yaml")
	if len(imgs) != 1 {
		t.Fatalf("images: %v", imgs)
	}
	for _, ref := range []string{"app:1", "docker.io/app:1", "index.docker.io/library/app:1"} {
		got, ok := fixers.LookupImage(ref, imgs)
		if !ok || got.UID != 101 || got.GID != 102 || got.NeedsRoot || got.WritablePaths != nil || got.Source != `image config user "101:102" (.psafix-images.yaml, sha256:111111111111)` {
			t.Errorf("%s: %+v %v", ref, got, ok)
		}
	}
	l.Add(Entry{Image: "127.0.0.1:5000/app:1", Reference: "127.0.0.1:5000/app:1", Digest: d1, User: "7", UID: id(7)})
	if got, ok := fixers.LookupImage("127.0.0.1:5000/app:1", l.Images("x")); !ok || got.UID != 7 {
		t.Errorf("a registry with a port: %+v %v", got, ok)
	}
	if got, ok := fixers.LookupImage("app:2", imgs); ok {
		t.Errorf("app:2 borrowed app:1's user: %+v", got)
	}
	if got, ok := fixers.LookupImage("zero", imgs); ok {
		t.Errorf("zero: %+v", got)
	}
}
