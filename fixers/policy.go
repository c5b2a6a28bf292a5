package fixers

import (
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
)

// Target is the level and version a workload must reach, and where that came from.
type Target struct {
	Level   api.Level
	Version api.Version
	// From says why: "flags", "namespace shop (pod-security.kubernetes.io/enforce)", ...
	From string
}

// Exemption keeps fixers away from an object, with a reason that is always reported.
type Exemption struct {
	// Fixers are the exempt fixer IDs; empty means all of them.
	Fixers []string
	Reason string
	// From says where the exemption is written.
	From string
}

// Covers reports whether the exemption keeps fixer id away.
func (x *Exemption) Covers(id string) bool {
	if x == nil {
		return false
	}
	if len(x.Fixers) == 0 {
		return true
	}
	for _, f := range x.Fixers {
		if f == id || f == "all" {
			return true
		}
	}
	return false
}

// Annotations that exempt one object, for teams that keep the reason next to the manifest.
const (
	SkipAnnotation       = "psafix.dev/skip"        // "all" or "fixer-id,fixer-id"
	SkipReasonAnnotation = "psafix.dev/skip-reason" // why; shown in every report
)

// annotationExemption reads the psafix.dev/skip annotation of an object.
func annotationExemption(ann map[string]string) *Exemption {
	v, ok := ann[SkipAnnotation]
	if !ok {
		return nil
	}
	x := &Exemption{Reason: ann[SkipReasonAnnotation], From: "annotation " + SkipAnnotation}
	if x.Reason == "" {
		x.Reason = "no reason given (set " + SkipReasonAnnotation + ")"
	}
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" && id != "all" {
			x.Fixers = append(x.Fixers, id)
		}
	}
	return x
}

// ImageUID is what psafix knows of an image's user.
type ImageUID struct {
	// Pattern matches the image's repository (registry/path, no tag), with * and ? as in
	// path.Match; ":tag" at the end also requires that tag.
	Pattern string
	// UID is the non-root user the image is built for; 0 marks an image known to need
	// root, which psafix reports instead of giving it a UID it would crash with.
	UID    int64
	Source string
}

// KnownImages is the built-in table of well-known images and the user they are built for.
// Patterns are matched against normalised references (docker.io/library/ spelled out).
var KnownImages = []ImageUID{
	{Pattern: "gcr.io/distroless/*:nonroot", UID: 65532, Source: "distroless nonroot user"},
	{Pattern: "gcr.io/distroless/*:*-nonroot", UID: 65532, Source: "distroless nonroot user"},
	{Pattern: "cgr.dev/chainguard/*", UID: 65532, Source: "Chainguard images run as nonroot"},
	{Pattern: "docker.io/nginxinc/nginx-unprivileged", UID: 101, Source: "nginx-unprivileged runs as nginx (101)"},
	{Pattern: "docker.io/bitnami/*", UID: 1001, Source: "Bitnami images run as 1001"},
	{Pattern: "quay.io/prometheus/*", UID: 65534, Source: "Prometheus images run as nobody"},
	{Pattern: "docker.io/prom/*", UID: 65534, Source: "Prometheus images run as nobody"},
	{Pattern: "docker.io/grafana/grafana", UID: 472, Source: "Grafana runs as grafana (472)"},
	{Pattern: "registry.k8s.io/pause", UID: 65535, Source: "pause runs as 65535"},
	{Pattern: "docker.io/library/nginx", UID: 0, Source: "the official nginx image starts as root (use nginxinc/nginx-unprivileged)"},
	{Pattern: "docker.io/library/httpd", UID: 0, Source: "the official httpd image starts as root"},
}

// normalizeImage splits an image reference into a normalised repository and its tag.
func normalizeImage(ref string) (repo, tag string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	first, _, hasSlash := strings.Cut(ref, "/")
	switch {
	case !hasSlash:
		ref = "docker.io/library/" + ref
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		ref = "docker.io/" + ref
	}
	return ref, tag
}

// LookupImage returns what the tables say of image: the extra entries first (a project's
// own table wins), then the built-in one.
func LookupImage(image string, extra []ImageUID) (ImageUID, bool) {
	repo, tag := normalizeImage(image)
	for _, table := range [][]ImageUID{extra, KnownImages} {
		for _, e := range table {
			pat, patTag, hasTag := strings.Cut(e.Pattern, ":")
			if !strings.Contains(pat, ".") && !strings.HasPrefix(pat, "localhost") {
				pat, _ = normalizeImage(pat)
			}
			if ok, _ := path.Match(pat, repo); !ok {
				continue
			}
			if hasTag {
				if ok, _ := path.Match(patTag, tag); !ok {
					continue
				}
			}
			return e, true
		}
	}
	return ImageUID{}, false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// KnownRootContainers names the containers of a pod whose image the tables say needs root
// and which set no UID of their own: psafix leaves runAsNonRoot to the report for them.
func KnownRootContainers(spec *corev1.PodSpec, extra []ImageUID) []string {
	var out []string
	visit := func(c *corev1.Container) {
		if s := c.SecurityContext; s != nil && s.RunAsUser != nil {
			return
		}
		if s := spec.SecurityContext; s != nil && s.RunAsUser != nil {
			return
		}
		if img, ok := LookupImage(c.Image, extra); ok && img.UID == 0 {
			out = append(out, c.Name)
		}
	}
	for i := range spec.InitContainers {
		visit(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		visit(&spec.Containers[i])
	}
	return out
}
