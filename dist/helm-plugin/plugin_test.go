// The Helm post-renderer plugin's end-to-end test: an install dry run with Helm's own
// pkg/action, psafix in-process and through this folder's plugin.yaml. It is a module of its
// own so that Helm's pkg/action (client-go, kubectl, controller-runtime) stays out of
// psafix's module graph: `make test` runs it (cd dist/helm-plugin && go test ./...).
package helmplugin_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/cmd/psafix/cli"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	helmcli "helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/postrenderer"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// asMain makes the test binary psafix itself when Helm's plugin runtime runs it as a
// subprocess (through a link named psafix on PATH): no build, no network.
const asMain = "PSAFIX_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// inProcess is psafix post-render behind Helm's PostRenderer interface.
type inProcess struct {
	args   []string
	stderr bytes.Buffer
}

func (p *inProcess) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	var out bytes.Buffer
	if code := cli.Main(append([]string{"post-render"}, p.args...), in, &out, &p.stderr); code != cli.ExitOK {
		return nil, fmt.Errorf("psafix post-render: exit %d: %s", code, p.stderr.String())
	}
	return &out, nil
}

// webChart is a chart whose Deployment sets no securityContext; hostNetwork is a value,
// a violation psafix reports but never fixes.
var webChart = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: web\nversion: 1.0.0\n",
	"values.yaml": "# the image runs as a non-root user\nimage: nginxinc/nginx-unprivileged:1.27\nhostNetwork: false\n",
	"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      {{- if .Values.hostNetwork }}
      hostNetwork: true
      {{- end }}
      containers:
        - name: web # serves on 8080
          image: {{ .Values.image }}
          ports:
            - containerPort: 8080
`,
	"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-conf\ndata:\n  level: info # kept\n",
}

// installDryRun installs the chart as helm install --dry-run=client does, with pr as its
// post-renderer, and returns the release.
func installDryRun(t *testing.T, ch *chartv2.Chart, vals map[string]any, pr postrenderer.PostRenderer) (*release.Release, error) {
	t.Helper()
	cfg := action.NewConfiguration()
	cfg.Releases = storage.Init(driver.NewMemory())
	inst := action.NewInstall(cfg)
	inst.ReleaseName = "shop"
	inst.Namespace = "default"
	inst.DryRunStrategy = action.DryRunClient
	inst.PostRenderer = pr
	r, err := inst.Run(ch, vals)
	if err != nil {
		return nil, err
	}
	rel, ok := r.(*release.Release)
	if !ok {
		t.Fatalf("release is a %T", r)
	}
	return rel, nil
}

// passesRestricted checks the installed manifest with psafix check (restricted, latest).
func passesRestricted(t *testing.T, manifest string) {
	t.Helper()
	var out bytes.Buffer
	if code := cli.Main([]string{"check", "--level", "restricted", "-"}, strings.NewReader(manifest), &out, &out); code != cli.ExitOK {
		t.Errorf("the installed manifest fails restricted (exit %d):\n%s\n%s", code, out.String(), manifest)
	}
}

func TestPostRenderInstall(t *testing.T) {
	ch, err := loader.LoadDir(writeTree(t, t.TempDir(), webChart))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("fixes", func(t *testing.T) {
		pr := &inProcess{}
		rel, err := installDryRun(t, ch, nil, pr)
		if err != nil {
			t.Fatal(err)
		}
		passesRestricted(t, rel.Manifest)
		for _, want := range []string{"# Source: web/templates/configmap.yaml", "level: info # kept", "- name: web # serves on 8080", "runAsNonRoot: true"} {
			if !strings.Contains(rel.Manifest, want) {
				t.Errorf("manifest lacks %q:\n%s", want, rel.Manifest)
			}
		}
		if !strings.Contains(pr.stderr.String(), "risky edit") {
			t.Errorf("stderr does not name the risky edits:\n%s", pr.stderr.String())
		}
	})

	t.Run("warns without --fail-on", func(t *testing.T) {
		pr := &inProcess{}
		rel, err := installDryRun(t, ch, map[string]any{"hostNetwork": true}, pr)
		if err != nil {
			t.Fatalf("the release failed without --fail-on: %v", err)
		}
		if !strings.Contains(rel.Manifest, "hostNetwork: true") || !strings.Contains(pr.stderr.String(), "[hostNamespaces]") {
			t.Errorf("hostNetwork is not kept and reported:\nstderr:\n%s\nmanifest:\n%s", pr.stderr.String(), rel.Manifest)
		}
	})

	t.Run("--fail-on violations fails", func(t *testing.T) {
		pr := &inProcess{args: []string{"--fail-on", "violations"}}
		_, err := installDryRun(t, ch, map[string]any{"hostNetwork": true}, pr)
		if err == nil || !strings.Contains(err.Error(), "exit 1") {
			t.Fatalf("install error = %v, want psafix's exit 1", err)
		}
	})

	t.Run("plugin", func(t *testing.T) {
		// Helm's loader finds plugin.yaml in a plugins folder and runs its
		// command (psafix post-render) from PATH: the test binary, linked as psafix.
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		bin := t.TempDir()
		if err := os.Symlink(exe, filepath.Join(bin, "psafix")); err != nil {
			t.Skipf("no symlink: %v", err)
		}
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		t.Setenv(asMain, "1")
		manifest, err := os.ReadFile("plugin.yaml")
		if err != nil {
			t.Fatal(err)
		}
		plugins := writeTree(t, t.TempDir(), map[string]string{"psafix/plugin.yaml": string(manifest)})
		settings := helmcli.New()
		settings.PluginsDirectory = plugins

		pr, err := postrenderer.NewPostRendererPlugin(settings, "psafix")
		if err != nil {
			t.Fatal(err)
		}
		rel, err := installDryRun(t, ch, nil, pr)
		if err != nil {
			t.Fatal(err)
		}
		passesRestricted(t, rel.Manifest)

		pr, err = postrenderer.NewPostRendererPlugin(settings, "psafix", "--fail-on=violations")
		if err != nil {
			t.Fatal(err)
		}
		_, err = installDryRun(t, ch, map[string]any{"hostNetwork": true}, pr)
		var exit interface{ ExitCode() int }
		if err == nil || (errors.As(err, &exit) && exit.ExitCode() != 1) {
			t.Fatalf("install error = %v, want the plugin's exit 1", err)
		}
	})
}

func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
