package rollout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"
)

const wrapper = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: EventRateLimit
    path: eventconfig.yaml
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults:
        enforce: baseline
        audit: restricted
        audit-version: v1.30
      exemptions:
        usernames: ["system:serviceaccount:kube-system:replicaset-controller"]
        runtimeClasses: [kata]
        namespaces: [kube-system]
`

func TestAdmissionConfig(t *testing.T) {
	c, err := ParseAdmissionConfig("a.yaml", []byte(wrapper), 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.Defaults.Enforce != (api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}) {
		t.Errorf("enforce %v", c.Defaults.Enforce)
	}
	if c.Defaults.Audit != (api.LevelVersion{Level: api.LevelRestricted, Version: api.MajorMinorVersion(1, 30)}) {
		t.Errorf("audit %v", c.Defaults.Audit)
	}
	if c.Defaults.Warn.Level != api.LevelPrivileged {
		t.Errorf("warn %v: PSA defaults a mode left out to privileged", c.Defaults.Warn)
	}
	if !c.EnforceSet || c.EnforceVersionSet {
		t.Errorf("EnforceSet %v, EnforceVersionSet %v", c.EnforceSet, c.EnforceVersionSet)
	}
	if !c.ExemptNamespace("kube-system") || c.ExemptNamespace("shop") || !c.ExemptRuntimeClass("kata") || c.ExemptRuntimeClass("") {
		t.Errorf("exemptions %+v", c)
	}
	if c.Where() != "a.yaml:8" {
		t.Errorf("where %q", c.Where())
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "controller identity") || !strings.Contains(w[0], "dangerous") {
		t.Errorf("warnings %q", w)
	}
}

func TestAdmissionConfigForms(t *testing.T) {
	dir := t.TempDir()
	bare := "apiVersion: pod-security.admission.config.k8s.io/v1beta1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: restricted\n  enforce-version: v1.29\n"
	os.WriteFile(filepath.Join(dir, "psa.yaml"), []byte(bare), 0o644)
	byPath := "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: psa.yaml\n"
	os.WriteFile(filepath.Join(dir, "admission.yaml"), []byte(byPath), 0o644)
	for _, f := range []string{"psa.yaml", "admission.yaml"} {
		c, err := LoadAdmissionConfig(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if c.Defaults.Enforce != (api.LevelVersion{Level: api.LevelRestricted, Version: api.MajorMinorVersion(1, 29)}) {
			t.Errorf("%s: enforce %v", f, c.Defaults.Enforce)
		}
		if c.Path != filepath.Join(dir, "psa.yaml") {
			t.Errorf("%s: path %s, want the file that holds the configuration", f, c.Path)
		}
	}
	scenario := filepath.Join("..", "fixtures", "scenario", "tree", "admission.yaml")
	c, err := LoadAdmissionConfig(scenario)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExemptNamespace("kube-system") || c.Defaults.Enforce.Level != api.LevelBaseline {
		t.Errorf("scenario: %+v", c)
	}
}

func TestAdmissionConfigErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unknown field", "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefault:\n  enforce: baseline\n", `a.yaml:1: not a valid PodSecurityConfiguration: `},
		{"bad level", "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: strict\n", `a.yaml:1: not a valid PodSecurityConfiguration: defaults.enforce: Invalid value: "strict"`},
		{"bad version", "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce-version: 1.30\n", `enforce-version`},
		{"a manifest", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", `a.yaml:1: kind "Namespace", apiVersion "v1": not an admission config`},
		{"no PodSecurity", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: x.yaml\n", `a.yaml:4: no plugin named PodSecurity`},
		{"missing path", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: nowhere.yaml\n", `a.yaml:4: the PodSecurity plugin's path nowhere.yaml: no such file or directory`},
		{"invalid yaml", "apiVersion: [\n", `a.yaml:`},
		{"empty", "# nothing\n", `a.yaml: empty admission config`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAdmissionConfig("a.yaml", []byte(c.text), 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got  %v\nwant %q", err, c.want)
			}
		})
	}
}
