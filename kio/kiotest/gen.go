// Package kiotest generates realistic Kubernetes manifests for benchmarks and for timing the
// CLI by hand (cmd/psafix-gen): Deployments written the many ways people write them. It also
// holds the file helpers psafix's tests share (golden files, copied trees).
package kiotest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Deployments returns n Deployment documents (without "---" separators). Document i depends
// only on seed and i, so a larger n extends a smaller one. They vary the way hand-written and
// generated manifests do: header and inline comments, init containers, sidecars, probes,
// resources, env, volumes; about a quarter already pass restricted, half have a partial
// securityContext and the rest none; most are indented by 2 spaces and some by 4; lists are
// compact ("- " at the key's column) or wide (indented under the key); a few use flow style.
func Deployments(n int, seed int64) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = Deployment(i, seed)
	}
	return out
}

// Deployment returns the i-th generated Deployment for seed.
func Deployment(i int, seed int64) []byte {
	r := rand.New(rand.NewSource(seed*1_000_003 + int64(i)))
	st := style{step: 2, dash: 2}
	switch x := r.Intn(10); {
	case x < 2: // 4-space indentation, wide lists
		st = style{step: 4, dash: 4}
	case x < 5: // compact lists (kubectl, kustomize and yq output)
		st = style{step: 2, dash: 0}
	}
	b := &builder{st: st}
	b.render(deployment(r, i), 0)
	return []byte(b.String())
}

// Files writes files multi-document files of docsPerFile generated Deployments each below
// dir, 100 files to a folder: dir/team-00/app-0000.yaml, ... (FilePath names them).
func Files(dir string, files, docsPerFile int, seed int64) error {
	for f := 0; f < files; f++ {
		p := FilePath(dir, f)
		if f%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p, File(f, docsPerFile, seed), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// FilePath is where Files writes the f-th file below dir.
func FilePath(dir string, f int) string {
	return filepath.Join(dir, fmt.Sprintf("team-%02d", f/100), fmt.Sprintf("app-%04d.yaml", f))
}

// File returns the bytes of the f-th generated file: docsPerFile Deployments joined by
// "---" lines (some files start with one too).
func File(f, docsPerFile int, seed int64) []byte {
	var sb strings.Builder
	if f%3 == 0 {
		sb.WriteString("---\n")
	}
	for d := 0; d < docsPerFile; d++ {
		if d > 0 {
			sb.WriteString("---\n")
		}
		sb.Write(Deployment(f*docsPerFile+d, seed))
	}
	return []byte(sb.String())
}

// SplitDocs cuts generated files back into their documents' text (for a bare parse).
func SplitDocs(file []byte) [][]byte {
	var out [][]byte
	for _, d := range strings.Split(string(file), "---\n") {
		if strings.TrimSpace(d) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

// A tiny ordered document model, rendered in a chosen style.

type kv struct {
	k       string
	v       any // string (a scalar written as is), mapping, seq or flow
	above   string
	comment string
}

type (
	mapping []kv
	seq     []any
	flow    string // a value written inline as is: "[a, b]", "{cpu: 100m}"
)

type style struct {
	step int // indentation of a nested mapping
	dash int // indentation of a list's "-" relative to its key
}

type builder struct {
	strings.Builder
	st style
}

func (b *builder) line(indent, text, comment string) {
	b.WriteString(indent)
	b.WriteString(text)
	if comment != "" {
		b.WriteString("  # ")
		b.WriteString(comment)
	}
	b.WriteByte('\n')
}

// render writes m with its keys at column col.
func (b *builder) render(m mapping, col int) { b.renderFirst(m, col, strings.Repeat(" ", col)) }

// renderFirst writes m at column col, with first replacing the first line's indentation
// (a list item's "- ").
func (b *builder) renderFirst(m mapping, col int, first string) {
	pad := strings.Repeat(" ", col)
	for i, e := range m {
		ind := pad
		if i == 0 {
			ind = first
		}
		if e.above != "" {
			b.line(ind, "# "+e.above, "")
			ind = pad
		}
		switch v := e.v.(type) {
		case string:
			b.line(ind, e.k+": "+v, e.comment)
		case flow:
			b.line(ind, e.k+": "+string(v), e.comment)
		case mapping:
			b.line(ind, e.k+":", e.comment)
			b.render(v, col+b.st.step)
		case seq:
			b.line(ind, e.k+":", e.comment)
			b.renderSeq(v, col+b.st.dash)
		}
	}
}

func (b *builder) renderSeq(s seq, col int) {
	dash := strings.Repeat(" ", col) + "- "
	for _, it := range s {
		switch v := it.(type) {
		case mapping:
			if len(v) > 0 && v[0].above != "" {
				// A comment about an item goes above its dash.
				b.line(strings.Repeat(" ", col), "# "+v[0].above, "")
				v = append(mapping{{k: v[0].k, v: v[0].v, comment: v[0].comment}}, v[1:]...)
			}
			b.renderFirst(v, col+2, dash)
		case string:
			b.line(dash, v, "")
		case flow:
			b.line(dash, string(v), "")
		}
	}
}

var (
	teams    = []string{"checkout", "payments", "search", "catalog", "identity", "platform", "data", "growth"}
	apps     = []string{"api", "web", "worker", "gateway", "indexer", "scheduler", "exporter", "consumer", "frontend", "backend"}
	registry = []string{"ghcr.io/acme", "registry.example.com/team", "quay.io/acme", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "docker.io/library"}
	sidecars = []struct{ name, image string }{
		{"envoy", "envoyproxy/envoy:v1.31.2"},
		{"log-shipper", "fluent/fluent-bit:3.1.9"},
		{"statsd-exporter", "quay.io/prometheus/statsd-exporter:v0.27.1"},
		{"oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy:v7.7.1"},
	}
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.Intn(len(l))] }

func deployment(r *rand.Rand, i int) mapping {
	team, app := pick(r, teams), pick(r, apps)
	name := fmt.Sprintf("%s-%s-%d", team, app, i)
	labels := mapping{
		{k: "app.kubernetes.io/name", v: name},
		{k: "app.kubernetes.io/part-of", v: team},
		{k: "app.kubernetes.io/version", v: fmt.Sprintf("%q", fmt.Sprintf("%d.%d.%d", 1+r.Intn(4), r.Intn(20), r.Intn(10)))},
	}
	meta := mapping{{k: "name", v: name}, {k: "namespace", v: team}, {k: "labels", v: labels}}
	if r.Intn(3) == 0 {
		meta = append(meta, kv{k: "annotations", v: mapping{
			{k: "deployment.kubernetes.io/revision", v: fmt.Sprintf("%q", fmt.Sprint(1+r.Intn(40)))},
			{k: "owner", v: team + "@example.com"},
		}})
	}

	// Which pods already pass restricted, which have part of it, which have nothing.
	kind := r.Intn(4) // 0: compliant, 1-2: partial, 3: none
	compliant, partial := kind == 0, kind == 1 || kind == 2

	var podSC mapping
	switch {
	case compliant:
		podSC = mapping{
			{k: "runAsNonRoot", v: "true"},
			{k: "runAsUser", v: "10001"},
			{k: "fsGroup", v: "10001"},
			{k: "seccompProfile", v: mapping{{k: "type", v: "RuntimeDefault"}}},
		}
	case partial:
		switch r.Intn(4) {
		case 0:
			podSC = mapping{{k: "runAsNonRoot", v: "true"}}
		case 1:
			podSC = mapping{{k: "fsGroup", v: "2000"}, {k: "runAsUser", v: "1000", comment: "matches the image's USER"}}
		case 2:
			podSC = mapping{{k: "seccompProfile", v: mapping{{k: "type", v: "RuntimeDefault"}}}}
		default:
			podSC = mapping{{k: "runAsUser", v: "0", comment: "TODO: drop root"}}
		}
	}

	img := pick(r, registry) + "/" + app
	var containers seq
	main := container(r, app, fmt.Sprintf("%s:%d.%d.%d", img, 1+r.Intn(4), r.Intn(20), r.Intn(10)), true, compliant, partial)
	containers = append(containers, main)
	if r.Intn(2) == 0 {
		sc := pick(r, sidecars)
		c := container(r, sc.name, sc.image, false, compliant, partial)
		if r.Intn(2) == 0 {
			c[0].above = sc.name + " sidecar"
		}
		containers = append(containers, c)
	}

	spec := mapping{}
	if r.Intn(3) > 0 {
		spec = append(spec, kv{k: "serviceAccountName", v: name})
	}
	spec = append(spec, kv{k: "terminationGracePeriodSeconds", v: fmt.Sprint(10 * (1 + r.Intn(6)))})
	if r.Intn(2) == 0 {
		spec = append(spec, kv{k: "nodeSelector", v: mapping{{k: "kubernetes.io/os", v: "linux"}}})
	}
	if podSC != nil {
		spec = append(spec, kv{k: "securityContext", v: podSC})
	}
	if r.Intn(5) < 2 {
		spec = append(spec, kv{k: "initContainers", v: seq{initContainer(r, img, compliant, partial)}})
	}
	spec = append(spec, kv{k: "containers", v: containers})
	vols := seq{mapping{{k: "name", v: "config"}, {k: "configMap", v: mapping{{k: "name", v: name + "-config"}}}}}
	if r.Intn(3) == 0 {
		vols = append(vols, mapping{{k: "name", v: "cache"}, {k: "emptyDir", v: mapping{{k: "medium", v: "Memory"}, {k: "sizeLimit", v: "64Mi"}}}})
	}
	if compliant {
		vols = append(vols, mapping{{k: "name", v: "tmp"}, {k: "emptyDir", v: flow("{}")}})
	}
	if r.Intn(4) == 0 {
		vols = append(vols, mapping{{k: "name", v: "tls"}, {k: "secret", v: mapping{{k: "secretName", v: name + "-tls"}, {k: "defaultMode", v: "0440"}}}})
	}
	spec = append(spec, kv{k: "volumes", v: vols})
	if r.Intn(4) == 0 {
		spec = append(spec, kv{k: "tolerations", v: seq{mapping{
			{k: "key", v: "dedicated"}, {k: "operator", v: "Equal"}, {k: "value", v: team}, {k: "effect", v: "NoSchedule"},
		}}})
	}
	if r.Intn(4) == 0 {
		spec = append(spec, kv{k: "affinity", v: mapping{{k: "podAntiAffinity", v: mapping{
			{k: "preferredDuringSchedulingIgnoredDuringExecution", v: seq{mapping{
				{k: "weight", v: "100"},
				{k: "podAffinityTerm", v: mapping{
					{k: "topologyKey", v: "kubernetes.io/hostname"},
					{k: "labelSelector", v: mapping{{k: "matchLabels", v: mapping{{k: "app.kubernetes.io/name", v: name}}}}},
				}},
			}}},
		}}}})
	}

	podMeta := mapping{{k: "labels", v: mapping{{k: "app.kubernetes.io/name", v: name}, {k: "app.kubernetes.io/part-of", v: team}}}}
	if r.Intn(2) == 0 {
		podMeta = append(podMeta, kv{k: "annotations", v: mapping{
			{k: "prometheus.io/scrape", v: `"true"`},
			{k: "prometheus.io/port", v: `"9090"`},
		}})
	}
	dspec := mapping{
		{k: "replicas", v: fmt.Sprint(1 + r.Intn(6)), comment: pickComment(r, "scaled by the HPA in production", "")},
		{k: "revisionHistoryLimit", v: "5"},
		{k: "selector", v: mapping{{k: "matchLabels", v: mapping{{k: "app.kubernetes.io/name", v: name}}}}},
	}
	if r.Intn(2) == 0 {
		dspec = append(dspec, kv{k: "strategy", v: mapping{
			{k: "type", v: "RollingUpdate"},
			{k: "rollingUpdate", v: mapping{{k: "maxSurge", v: "25%"}, {k: "maxUnavailable", v: "0"}}},
		}})
	}
	dspec = append(dspec, kv{k: "template", v: mapping{{k: "metadata", v: podMeta}, {k: "spec", v: spec}}})

	doc := mapping{
		{k: "apiVersion", v: "apps/v1"},
		{k: "kind", v: "Deployment"},
		{k: "metadata", v: meta},
		{k: "spec", v: dspec},
	}
	if r.Intn(3) == 0 {
		doc[0].above = fmt.Sprintf("%s: %s service, owned by %s@example.com", name, app, team)
	}
	return doc
}

func pickComment(r *rand.Rand, cs ...string) string { return pick(r, cs) }

func containerSC(r *rand.Rand, compliant, partial bool) mapping {
	switch {
	case compliant:
		return mapping{
			{k: "allowPrivilegeEscalation", v: "false"},
			{k: "readOnlyRootFilesystem", v: "true"},
			{k: "capabilities", v: mapping{{k: "drop", v: flow("[ALL]")}}},
		}
	case partial:
		switch r.Intn(5) {
		case 0:
			return mapping{{k: "allowPrivilegeEscalation", v: "false"}}
		case 1:
			return mapping{{k: "allowPrivilegeEscalation", v: "true", comment: "legacy entrypoint used sudo"}}
		case 2:
			return mapping{{k: "capabilities", v: mapping{{k: "add", v: seq{"NET_BIND_SERVICE"}}}}}
		case 3:
			return mapping{{k: "runAsNonRoot", v: "true"}, {k: "readOnlyRootFilesystem", v: "false"}}
		default:
			return nil
		}
	}
	return nil
}

func container(r *rand.Rand, name, image string, main, compliant, partial bool) mapping {
	c := mapping{{k: "name", v: name}, {k: "image", v: image}}
	if r.Intn(2) == 0 {
		c = append(c, kv{k: "imagePullPolicy", v: "IfNotPresent"})
	}
	if r.Intn(2) == 0 {
		if r.Intn(2) == 0 {
			c = append(c, kv{k: "args", v: flow(`["--config=/etc/app/config.yaml", "--log-format=json"]`)})
		} else {
			c = append(c, kv{k: "args", v: seq{"--config=/etc/app/config.yaml", "--log-format=json", fmt.Sprintf("--port=%d", 8080+r.Intn(3))}})
		}
	}
	if main {
		c = append(c, kv{k: "ports", v: seq{
			mapping{{k: "name", v: "http"}, {k: "containerPort", v: "8080"}, {k: "protocol", v: "TCP"}},
			mapping{{k: "name", v: "metrics"}, {k: "containerPort", v: "9090"}},
		}})
		env := seq{
			mapping{{k: "name", v: "LOG_LEVEL"}, {k: "value", v: pick(r, []string{"info", "debug", "warn"})}},
			mapping{{k: "name", v: "POD_NAME"}, {k: "valueFrom", v: mapping{{k: "fieldRef", v: mapping{{k: "fieldPath", v: "metadata.name"}}}}}},
			mapping{{k: "name", v: "DB_PASSWORD"}, {k: "valueFrom", v: mapping{{k: "secretKeyRef", v: flow("{name: db-credentials, key: password}")}}}},
		}
		for j := r.Intn(5); j > 0; j-- {
			env = append(env, mapping{{k: "name", v: fmt.Sprintf("FEATURE_%d", j)}, {k: "value", v: `"true"`}})
		}
		c = append(c, kv{k: "env", v: env})
		probe := func(path string, delay int) mapping {
			return mapping{
				{k: "httpGet", v: mapping{{k: "path", v: path}, {k: "port", v: "http"}}},
				{k: "initialDelaySeconds", v: fmt.Sprint(delay)},
				{k: "periodSeconds", v: "10"},
				{k: "failureThreshold", v: "3"},
			}
		}
		c = append(c, kv{k: "livenessProbe", v: probe("/healthz", 15)}, kv{k: "readinessProbe", v: probe("/ready", 5)})
	}
	if r.Intn(2) == 0 {
		c = append(c, kv{k: "resources", v: mapping{
			{k: "requests", v: flow(fmt.Sprintf("{cpu: %dm, memory: %dMi}", 50*(1+r.Intn(8)), 64*(1+r.Intn(8))))},
			{k: "limits", v: flow("{memory: 1Gi}")},
		}})
	} else {
		c = append(c, kv{k: "resources", v: mapping{
			{k: "requests", v: mapping{{k: "cpu", v: fmt.Sprintf("%dm", 50*(1+r.Intn(8)))}, {k: "memory", v: fmt.Sprintf("%dMi", 64*(1+r.Intn(8)))}}},
			{k: "limits", v: mapping{{k: "memory", v: "512Mi"}}},
		}, above: pickComment(r, "sized from last quarter's p99", "")})
	}
	mounts := seq{}
	if main {
		mounts = append(mounts, mapping{{k: "name", v: "config"}, {k: "mountPath", v: "/etc/app"}, {k: "readOnly", v: "true"}})
	}
	if compliant {
		mounts = append(mounts, mapping{{k: "name", v: "tmp"}, {k: "mountPath", v: "/tmp"}})
	}
	if len(mounts) > 0 {
		c = append(c, kv{k: "volumeMounts", v: mounts})
	}
	if sc := containerSC(r, compliant, partial); sc != nil {
		c = append(c, kv{k: "securityContext", v: sc})
	}
	return c
}

func initContainer(r *rand.Rand, img string, compliant, partial bool) mapping {
	c := mapping{
		{k: "name", v: "migrate"},
		{k: "image", v: img + ":migrations"},
		{k: "command", v: flow(`["/app/migrate", "--wait", "--timeout=120s"]`), comment: "idempotent"},
		{k: "envFrom", v: seq{mapping{{k: "secretRef", v: mapping{{k: "name", v: "db-credentials"}}}}}},
	}
	if compliant {
		c = append(c, kv{k: "volumeMounts", v: seq{mapping{{k: "name", v: "tmp"}, {k: "mountPath", v: "/tmp"}}}})
	}
	if sc := containerSC(r, compliant, partial); sc != nil {
		c = append(c, kv{k: "securityContext", v: sc})
	}
	return c
}

// PodList returns a List of n Pods as JSON: on one line, as "jq -c" writes it, when indent
// is "", else pretty-printed with indent (as "jq ." or "jq --tab"). The pods need fixing;
// each carries a non-ASCII annotation, so that positions are counted in characters.
func PodList(n int, indent string) []byte {
	items := make([]any, n)
	for i := range items {
		containers := []any{map[string]any{
			"name":  "app",
			"image": fmt.Sprintf("registry.example.com/team-%02d/app:%d.%d", i%40, i%7, i%13),
			"ports": []any{map[string]any{"containerPort": 8080, "name": "http"}},
			"env":   []any{map[string]any{"name": "MODE", "value": "café ☕"}},
		}}
		if i%2 == 0 {
			containers = append(containers, map[string]any{
				"name":            "sidecar",
				"image":           "registry.example.com/proxy:1.2",
				"securityContext": map[string]any{"runAsNonRoot": true},
			})
		}
		items[i] = map[string]any{
			"apiVersion": "v1",
			"kind":       "Pod",
			"metadata": map[string]any{
				"name":        fmt.Sprintf("pod-%05d", i),
				"namespace":   fmt.Sprintf("ns-%02d", i%10),
				"labels":      map[string]any{"app": fmt.Sprintf("app-%d", i%50)},
				"annotations": map[string]any{"description": "Ünïcödé déscription ✓"},
			},
			"spec": map[string]any{"containers": containers},
		}
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
	var b []byte
	var err error
	if indent == "" {
		b, err = json.Marshal(list)
	} else {
		b, err = json.MarshalIndent(list, "", indent)
	}
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
