package rollout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/fixers"
)

const configHead = "apiVersion: psafix.dev/v1alpha1\nkind: Config\n"

// TestConfigErrors: every mistake in .psafix.yaml is reported at its line, with what is
// accepted.
func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown top field", configHead + "defualts: {}\n", `c.yaml:3: unknown field "defualts" in the top level (known: apiVersion, kind, defaults, exemptions, objects, images, exclude, admissionConfig, namespaces, charts)`},
		{"unknown defaults field", configHead + "defaults:\n  level: baseline\n  colour: red\n", `c.yaml:5: unknown field "colour" in defaults (known: level, version, fixers, skip, runAsUser, writablePaths, readOnlyRoot, fixExplicitRoot, removeCapabilities, explain, resolveImages, failOn, clusterVersion)`},
		{"resolveImages not a bool", configHead + "defaults:\n  resolveImages: yes\n", `c.yaml:4: defaults.resolveImages must be true or false, not "yes"`},
		{"bad level", configHead + "defaults:\n  level: strict\n", `c.yaml:4: defaults.level: level must be restricted or baseline, not "strict"`},
		{"bad version", configHead + "defaults:\n  version: 1.30\n", `c.yaml:4: defaults.version: version must be latest or v1.N, not "1.30"`},
		{"bad uid", configHead + "defaults:\n  runAsUser: root\n", `c.yaml:4: defaults.runAsUser: run-as-user must be a non-zero UID or 'none', not "root"`},
		{"relative path", configHead + "defaults:\n  writablePaths: [tmp]\n", `c.yaml:4: defaults.writablePaths: writable path must be absolute, not "tmp"`},
		{"root path", configHead + "defaults:\n  writablePaths: [/]\n", `c.yaml:4: defaults.writablePaths: writable path "/" would hide the whole image`},
		{"path with ..", configHead + "defaults:\n  writablePaths: [/tmp/../etc]\n", `c.yaml:4: defaults.writablePaths: writable path must not contain ".."`},
		{"skip not a list", configHead + "defaults:\n  skip: read-only-root\n", `c.yaml:4: skip must be a list`},
		{"unknown fixer", configHead + "defaults:\n  skip: [read-only]\n", `c.yaml:4: defaults.skip: unknown fixer "read-only"`},
		{"wrong kind", "apiVersion: psafix.dev/v1alpha1\nkind: PSAFix\n", `c.yaml:2: kind must be Config, not "PSAFix"`},
		{"no apiVersion", "kind: Config\n", `c.yaml:1: apiVersion must be psafix.dev/v1alpha1, not ""`},
		{"exemption without reason", configHead + "exemptions:\n  - namespace: kube-system\n", `c.yaml:4: an exemption needs a reason`},
		{"exemption unknown field", configHead + "exemptions:\n  - namespace: kube-system\n    reason: cloud\n    fixer: [capabilities]\n", `c.yaml:6: unknown field "fixer" in an exemption (known: namespace, object, fixers, reason)`},
		{"exemption bad object", configHead + "exemptions:\n  - object: node-exporter\n    reason: x\n", `c.yaml:4: object must be Kind/namespace/name`},
		{"exemption both", configHead + "exemptions:\n  - object: DaemonSet/a/b\n    namespace: a\n    reason: x\n", `c.yaml:4: an exemption names a namespace or an object, not both`},
		{"exemption unknown fixer", configHead + "exemptions:\n  - namespace: a\n    fixers: [all, seccomp, nope]\n    reason: x\n", `c.yaml:5: unknown fixer "nope"`},
		{"image without uid", configHead + "images:\n  - pattern: ghcr.io/acme/*\n", `c.yaml:4: an image needs a uid`},
		{"image bad uid", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    uid: -1\n", `c.yaml:5: uid must be a number from 0`},
		{"bad read-only-root", configHead + "defaults:\n  readOnlyRoot: some\n", `read-only-root must be known, all or off, not "some"`},
		{"bad fixExplicitRoot", configHead + "defaults:\n  fixExplicitRoot: please\n", `c.yaml:4:`},
		{"image relative writable path", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    writablePaths: [tmp]\n", `c.yaml:5: writablePaths: a path must be absolute, not "tmp"`},
		{"image writable path with ..", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    writablePaths: [/var/cache/../log]\n", `c.yaml:5: writablePaths: writable path must not contain ".."`},
		{"image writable path root", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    writablePaths: [/var/..]\n", `c.yaml:5: writablePaths: writable path "/var/.." would hide the whole image`},
		{"image needsRoot false with uid 0", configHead + "images:\n  - pattern: ghcr.io/acme/*\n    uid: 0\n    needsRoot: false\n", `c.yaml:6: needsRoot: false contradicts uid: 0`},
		{"duplicate", configHead + "kind: Config\n", `c.yaml:3: duplicate key "kind"`},
		{"invalid yaml", configHead + "defaults: [\n", `c.yaml:`},
		{"empty", "# nothing\n", `c.yaml: empty config file`},
		{"objects without object", configHead + "objects:\n  - runAsUser: 1000\n", `c.yaml:4: an objects: entry needs object: Kind/namespace/name`},
		{"objects bad object", configHead + "objects:\n  - object: web\n    runAsUser: 1000\n", `c.yaml:4: object must be Kind/namespace/name`},
		{"objects bad uid", configHead + "objects:\n  - object: Deployment/a/b\n    runAsUser: root\n", `c.yaml:5: runAsUser must be a non-zero UID or none, not "root"`},
		{"objects relative path", configHead + "objects:\n  - object: Deployment/a/b\n    writablePaths: [tmp]\n", `c.yaml:5: writable path must be absolute`},
		{"objects nothing set", configHead + "objects:\n  - object: Deployment/a/b\n    reason: x\n", `c.yaml:4: an objects: entry sets runAsUser, writablePaths or both`},
		{"objects unknown field", configHead + "objects:\n  - object: Deployment/a/b\n    uid: 3\n", `c.yaml:5: unknown field "uid" in an objects: entry`},
		{"charts without path", configHead + "charts:\n  - values: [prod.yaml]\n", `c.yaml:4: a charts: entry needs path`},
		{"charts without values", configHead + "charts:\n  - path: web\n", `c.yaml:4: a charts: entry lists its values files`},
		{"charts values not a list", configHead + "charts:\n  - path: web\n    values: prod.yaml\n", `c.yaml:5: values must be a list`},
		{"charts unknown field", configHead + "charts:\n  - path: web\n    release: web\n", `c.yaml:5: unknown field "release" in a charts: entry (known: path, values)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(c.text))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("got  %q\nwant %q", err.Error(), c.want)
			}
		})
	}
}

func TestConfigObjects(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(configHead+`objects:
  - object: CronJob/batch/*
    runAsUser: 3003
    writablePaths: [/var/cache]
  - object: "*/*/web"
    runAsUser: none
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SettingsFor("CronJob", "batch", "report")
	if s == nil || !s.SetRunAsUser || *s.RunAsUser != 3003 || len(s.WritablePaths) != 1 || s.From != "c.yaml:4: object CronJob/batch/*" {
		t.Errorf("CronJob/batch/report: %+v", s)
	}
	if s := c.SettingsFor("Deployment", "shop", "web"); s == nil || !s.SetRunAsUser || s.RunAsUser != nil || s.WritablePaths != nil {
		t.Errorf("Deployment/shop/web: %+v", s)
	}
	if s := c.SettingsFor("Deployment", "shop", "api"); s != nil {
		t.Errorf("Deployment/shop/api: %+v, want none", s)
	}
	if got := c.ObjectWritablePaths(); len(got) != 1 || got[0] != "/var/cache" {
		t.Errorf("ObjectWritablePaths = %v", got)
	}
}

func TestConfigExemptions(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(configHead+`exemptions:
  - object: DaemonSet/monitoring/node-*
    fixers: [read-only-root]
    reason: textfile collector
  - namespace: kube-*
    reason: managed by the provider
  - fixers: [capabilities]
    reason: everywhere, for now
images:
  - pattern: ghcr.io/acme/*
    uid: 10001
`))
	if err != nil {
		t.Fatal(err)
	}
	x := c.ExemptionFor("DaemonSet", "monitoring", "node-exporter")
	if x == nil || len(x.Fixers) != 1 || x.Fixers[0] != "read-only-root" || x.Reason != "textfile collector" || x.From != "c.yaml:4: object DaemonSet/monitoring/node-*" {
		t.Errorf("object exemption: %+v", x)
	}
	if x := c.ExemptionFor("Deployment", "kube-system", "coredns"); x == nil || len(x.Fixers) != 0 || x.Reason != "managed by the provider" {
		t.Errorf("namespace exemption: %+v", x)
	}
	if x := c.ExemptionFor("Deployment", "shop", "web"); x == nil || len(x.Fixers) != 1 || x.Fixers[0] != "capabilities" {
		t.Errorf("fixer exemption: %+v", x)
	}
	if len(c.Images) != 1 || c.Images[0].UID != 10001 || c.Images[0].Source != "c.yaml:12" {
		t.Errorf("images: %+v", c.Images)
	}
}

// TestConfigSafetyKeys: the opt-ins of the safe defaults, and the images: schema (old
// files, where uid: 0 means the image needs root, stay valid).
func TestConfigSafetyKeys(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(configHead+`defaults:
  readOnlyRoot: all
  fixExplicitRoot: true
  removeCapabilities: false
images:
  - pattern: ghcr.io/acme/legacy
    uid: 0
  - pattern: ghcr.io/acme/*
    uid: 10001
    gid: 10002
    writablePaths: [/tmp, /var/cache/acme]
    reason: our base image
  - pattern: php:*apache*
    needsRoot: true
  - pattern: gcr.io/acme/static
    writablePaths: []
`))
	if err != nil {
		t.Fatal(err)
	}
	_, opts, err := Read(c.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	if opts.ReadOnlyRoot != fixers.ReadOnlyRootAll || !opts.FixExplicitRoot || opts.RemoveCapabilities {
		t.Errorf("defaults: %+v", opts)
	}
	if len(c.Images) != 4 {
		t.Fatalf("images: %+v", c.Images)
	}
	if img := c.Images[0]; !img.NeedsRoot {
		t.Errorf("uid: 0 should mean needs root: %+v", img)
	}
	if img := c.Images[1]; img.UID != 10001 || img.GID != 10002 || len(img.WritablePaths) != 2 || img.NeedsRoot || img.Source != "our base image (c.yaml:10)" {
		t.Errorf("full entry: %+v", img)
	}
	if img := c.Images[2]; !img.NeedsRoot || img.UID != 0 {
		t.Errorf("needsRoot entry: %+v", img)
	}
	if img := c.Images[3]; img.WritablePaths == nil || len(img.WritablePaths) != 0 {
		t.Errorf("writablePaths: [] is known and empty: %+v", img)
	}
}

func TestConfigAdmissionConfig(t *testing.T) {
	c, err := ParseConfig("c.yaml", []byte(configHead+"admissionConfig: cluster/admission.yaml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.AdmissionConfig != "cluster/admission.yaml" {
		t.Errorf("admissionConfig %q", c.AdmissionConfig)
	}
	if _, err := ParseConfig("c.yaml", []byte(configHead+"admissionConfig: [a, b]\n")); err == nil || !strings.Contains(err.Error(), "c.yaml:3: admissionConfig must be a single value") {
		t.Errorf("a list: %v", err)
	}
}

func TestClusterVersion(t *testing.T) {
	for in, want := range map[string]string{"v1.33": "v1.33", "v1.33.4": "v1.33", "1.30": "v1.30"} {
		v, err := ParseClusterVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("%s: %v %v, want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"latest", "", "v2", "one"} {
		if _, err := ParseClusterVersion(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	c, err := ParseConfig("c.yaml", []byte(configHead+"defaults:\n  clusterVersion: v1.31\n"))
	if err != nil || c.Defaults.Values["clusterVersion"].Str != "v1.31" {
		t.Errorf("clusterVersion: %v %+v", err, c)
	}
	if _, err := ParseConfig("c.yaml", []byte(configHead+"defaults:\n  clusterVersion: latest\n")); err == nil || !strings.Contains(err.Error(), "c.yaml:4: defaults.clusterVersion: cluster version must be v1.N") {
		t.Errorf("latest: %v", err)
	}
}

func TestConfigNamespaces(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ns/a.yaml", "ns/b.yml", "ns/.psafix.yaml", "ns/notes.txt", "extra.yaml"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x: 1\n"), 0o644)
	}
	cfgPath := filepath.Join(dir, ConfigName)
	c, err := ParseConfig(cfgPath, []byte(configHead+"namespaces: [ns, 'extra.*']\n"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.NamespaceFiles()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		got = append(got, filepath.ToSlash(r))
	}
	if strings.Join(got, " ") != "ns/a.yaml ns/b.yml extra.yaml" {
		t.Errorf("files %q", got)
	}
	c, _ = ParseConfig(cfgPath, []byte(configHead+"namespaces: [nowhere.yaml]\n"))
	if _, err := c.NamespaceFiles(); err == nil || !strings.Contains(err.Error(), `namespaces: "nowhere.yaml" matches no file`) {
		t.Errorf("no match: %v", err)
	}
}

// TestConfigCharts: charts: lists a chart's values files, relative to the config's folder;
// a chart or values file that is not there is an error at its entry.
func TestConfigCharts(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"charts/web/Chart.yaml", "deploy/prod.yaml"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x: 1\n"), 0o644)
	}
	cfgPath := filepath.Join(dir, ConfigName)
	write := func(text string) {
		if err := os.WriteFile(cfgPath, []byte(configHead+text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("charts:\n  - path: charts/web\n    values: [deploy/prod.yaml]\n")
	c, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.ChartValues(filepath.Join(dir, "charts", "web"))
	if !ok || len(got) != 1 || got[0] != filepath.Join(dir, "deploy", "prod.yaml") {
		t.Errorf("values %q %v", got, ok)
	}
	if _, ok := c.ChartValues(filepath.Join(dir, "charts")); ok {
		t.Errorf("values for a folder the config does not list")
	}
	write("charts:\n  - path: charts/api\n    values: [deploy/prod.yaml]\n")
	if _, err := LoadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), ":4: charts: charts/api holds no Chart.yaml") {
		t.Errorf("missing chart: %v", err)
	}
	write("charts:\n  - path: charts/web\n    values: [prod.yaml]\n")
	if _, err := LoadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), ":4: charts: values file prod.yaml of charts/web not found") {
		t.Errorf("missing values file: %v", err)
	}
}
