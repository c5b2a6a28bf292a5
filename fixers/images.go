package fixers

import (
	"path"
	"strings"
)

// Image is what psafix knows of the images a pattern matches: the user they are built for,
// whether they need root, and where they write. It is plain data: the built-in table, a
// .psafix.yaml "images:" entry and a resolver reading image configs from a registry all
// give the same facts, and Options.Images holds them, the first match winning.
type Image struct {
	// Pattern matches the image's repository, normalised as Docker does (nginx is
	// docker.io/library/nginx), with * and ? as in path.Match; ":tag" at the end also
	// requires that tag.
	Pattern string
	// UID is the non-root user the image is built for; 0 when it is not known.
	UID int64
	// GID is the group the image's files belong to (fsGroup for its volumes); 0 when not
	// known, and the UID is used.
	GID int64
	// NeedsRoot marks an image known to need root to start (the official nginx binds port
	// 80 and switches users): psafix neither gives it a UID nor hardens it.
	NeedsRoot bool
	// WritablePaths are where the image writes at run time. nil means not known; a
	// non-nil empty list means it writes nowhere but its volumes. Only images whose
	// writable paths are known get a read-only root filesystem by default.
	WritablePaths []string
	// Source says where the facts come from and why: "built-in: ..." or a reason with
	// "file:line".
	Source string
}

// ImageUID is the old name of Image, kept for code written against it.
type ImageUID = Image

// KnownImages is the built-in table of well-known images. First match wins; a project's
// own entries (Options.Images) come before it.
var KnownImages = []Image{
	{Pattern: "gcr.io/distroless/*:nonroot", UID: 65532, GID: 65532, WritablePaths: []string{}, Source: "distroless nonroot user"},
	{Pattern: "gcr.io/distroless/*:*-nonroot", UID: 65532, GID: 65532, WritablePaths: []string{}, Source: "distroless nonroot user"},
	{Pattern: "gcr.io/distroless/*", WritablePaths: []string{}, Source: "distroless images hold one program and write nowhere"},
	{Pattern: "cgr.dev/chainguard/*", UID: 65532, GID: 65532, Source: "Chainguard images run as nonroot"},
	{Pattern: "docker.io/nginxinc/nginx-unprivileged", UID: 101, GID: 101, WritablePaths: []string{"/tmp"}, Source: "nginx-unprivileged runs as nginx (101) and writes its pid and caches under /tmp"},
	{Pattern: "docker.io/bitnami/*", UID: 1001, Source: "Bitnami images run as 1001"},
	{Pattern: "quay.io/prometheus/*", UID: 65534, GID: 65534, Source: "Prometheus images run as nobody"},
	{Pattern: "docker.io/prom/*", UID: 65534, GID: 65534, Source: "Prometheus images run as nobody"},
	{Pattern: "ghcr.io/prometheus-operator/*", UID: 65534, GID: 65534, WritablePaths: []string{}, Source: "prometheus-operator images run as nobody and write nowhere"},
	{Pattern: "quay.io/brancz/kube-rbac-proxy", UID: 65532, GID: 65532, WritablePaths: []string{}, Source: "kube-rbac-proxy is a distroless nonroot image"},
	{Pattern: "docker.io/grafana/grafana", UID: 472, Source: "Grafana runs as grafana (472)"},
	{Pattern: "registry.k8s.io/pause", UID: 65535, GID: 65535, WritablePaths: []string{}, Source: "pause runs as 65535 and writes nothing"},
	{Pattern: "docker.io/kubernetes/pause", UID: 65535, GID: 65535, WritablePaths: []string{}, Source: "pause runs as 65535 and writes nothing"},
	{Pattern: "registry.k8s.io/ingress-nginx/kube-webhook-certgen", UID: 65532, GID: 65532, WritablePaths: []string{}, Source: "kube-webhook-certgen is a distroless nonroot image"},
	{Pattern: "registry.k8s.io/ingress-nginx/controller", UID: 101, GID: 82, Source: "the ingress-nginx controller runs as www-data (101)"},
	{Pattern: "quay.io/argoproj/argocd", UID: 999, GID: 999, Source: "Argo CD runs as argocd (999)"},
	{Pattern: "docker.io/library/nginx", NeedsRoot: true, Source: "the official nginx image starts as root (use nginxinc/nginx-unprivileged)"},
	{Pattern: "docker.io/library/httpd", NeedsRoot: true, Source: "the official httpd image starts as root to bind port 80"},
	{Pattern: "docker.io/library/wordpress", NeedsRoot: true, Source: "the official wordpress image runs Apache, which starts as root"},
	{Pattern: "docker.io/library/php:*apache*", NeedsRoot: true, Source: "php's apache images run Apache, which starts as root"},
}

// NormalizeImage splits an image reference into its repository, normalised as Docker does
// (nginx, docker.io/nginx, docker.io/library/nginx and index.docker.io/library/nginx are
// all docker.io/library/nginx), and its tag ("latest" when none is written). A digest is
// dropped.
func NormalizeImage(ref string) (repo, tag string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	if tag == "" {
		tag = "latest"
	}
	domain, rest, hasSlash := strings.Cut(ref, "/")
	if !hasSlash || (!strings.ContainsAny(domain, ".:") && domain != "localhost") {
		domain, rest = "docker.io", ref
	}
	if domain == "index.docker.io" || domain == "registry-1.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return domain + "/" + rest, tag
}

// splitPattern splits an image pattern into the repository part, normalised like a
// reference, and its tag pattern ("" for any tag).
func splitPattern(pattern string) (repo, tag string) {
	if i := strings.LastIndex(pattern, ":"); i > strings.LastIndex(pattern, "/") {
		pattern, tag = pattern[:i], pattern[i+1:]
	}
	repo, _ = NormalizeImage(pattern)
	return repo, tag
}

// Match reports whether the pattern matches an image reference.
func (i Image) Match(ref string) bool {
	repo, tag := NormalizeImage(ref)
	pat, patTag := splitPattern(i.Pattern)
	if ok, _ := path.Match(pat, repo); !ok {
		return false
	}
	if patTag != "" {
		if ok, _ := path.Match(patTag, tag); !ok {
			return false
		}
	}
	return true
}

// LookupImage returns what the tables say of image: the extra entries first (a project's
// own table, or facts a resolver read from the registry, win), then the built-in one.
func LookupImage(image string, extra []Image) (Image, bool) {
	if image == "" {
		return Image{}, false
	}
	for _, table := range [][]Image{extra, KnownImages} {
		for _, e := range table {
			if e.Match(image) {
				return e, true
			}
		}
	}
	return Image{}, false
}
