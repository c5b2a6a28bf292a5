package fixers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChanges: the engine records every change with its fixer, workload, container, field
// path and old and new values; the record of a document left unchanged is dropped.
func TestChanges(t *testing.T) {
	const in = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: c
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
  spec:
    template:
      metadata:
        annotations:
          container.apparmor.security.beta.kubernetes.io/app: unconfined
      spec:
        securityContext:
          runAsNonRoot: true
          runAsUser: 1000
          seccompProfile:
            type: Unconfined
        initContainers:
        - name: init
          image: busybox
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
        containers:
        - name: app
          image: ghcr.io/acme/app:1.0
          securityContext:
            runAsUser: 0
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              add: [SYS_PTRACE]
              drop: [ALL]
---
# runAsNonRoot's anchor is aliased by privileged: the document is left as it is, and so
# is its record.
apiVersion: v1
kind: Pod
metadata:
  name: shared-false
spec:
  securityContext:
    runAsNonRoot: &no false
    runAsUser: 1000
  containers:
  - name: app
    image: ghcr.io/acme/app:1.0
    securityContext:
      privileged: *no
`
	opts := DefaultOptions()
	opts.FixExplicitRoot, opts.RemoveCapabilities = true, true // runAsUser: 0 and SYS_PTRACE change
	res := NewEngine(opts).FixFile("in.yaml", []byte(in))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	type row struct {
		Fixer, Object, Container, ContainerField string
		Line                                     int
		Field, Scope                             string
		Op                                       Op
		Old, New                                 string
		Explicit                                 bool
		Checks                                   string
	}
	var got []row
	for _, c := range res.Changes {
		var checks []string
		for _, id := range c.Checks {
			checks = append(checks, string(id))
		}
		if c.Doc != 0 || c.Kind != "Deployment" || c.Namespace != "shop" || c.Name != "web" {
			t.Errorf("%s: workload %d %s %s %s", c.Field, c.Doc, c.Kind, c.Namespace, c.Name)
		}
		got = append(got, row{c.Fixer, c.Object, c.Container, c.ContainerField, c.Line, c.Field, c.Scope, c.Op, c.Old, c.New, c.Explicit, strings.Join(checks, ",")})
	}
	const spec = "items[1].spec.template.spec"
	want := []row{
		{"run-as-non-root", "Deployment/shop/web", "app", "containers", 36, spec + ".containers[0].securityContext.runAsUser", spec + ".containers[0]", OpSet, "0", "65532", true, "runAsUser"},
		{"seccomp", "Deployment/shop/web", "", "", 23, spec + ".securityContext.seccompProfile.type", spec, OpSet, `"Unconfined"`, `"RuntimeDefault"`, true, "seccompProfile_restricted"},
		{"capabilities", "Deployment/shop/web", "app", "containers", 40, spec + ".containers[0].securityContext.capabilities.add", spec + ".containers[0]", OpRemove, `["SYS_PTRACE"]`, "", true, "capabilities_restricted"},
		{"apparmor", "Deployment/shop/web", "", "", 17, "items[1].spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]", "items[1].spec.template.metadata", OpSet, `"unconfined"`, `"runtime/default"`, true, "appArmorProfile"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	if len(res.Bugs) != 1 {
		t.Errorf("bugs: %v", res.Bugs)
	}
	if c := res.Changes[0]; c.String() != "securityContext.runAsUser: 0 -> 65532" {
		t.Errorf("String: %q", c.String())
	}
}

// TestChangesAppend: an appended item's field is its index in the fixed file.
func TestChangesAppend(t *testing.T) {
	const in = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: app
    image: ghcr.io/acme/app:1.0
    securityContext:
      capabilities:
        drop: [NET_RAW]
`
	opts := DefaultOptions()
	opts.WritablePaths = []string{"/tmp", "/var/cache"}
	opts.ReadOnlyRoot = ReadOnlyRootAll
	res := NewEngine(opts).FixFile("in.yaml", []byte(in))
	got := map[string]string{}
	for _, c := range res.Changes {
		if c.Op == OpAppend {
			got[c.Field] = c.String()
		}
	}
	want := map[string]string{
		"spec.containers[0].securityContext.capabilities.drop[1]": `securityContext.capabilities.drop: added "ALL"`,
		"spec.volumes[1]":                    `volumes: added {"emptyDir":{},"name":"tmp"}`,
		"spec.volumes[2]":                    `volumes: added {"emptyDir":{},"name":"var-cache"}`,
		"spec.containers[0].volumeMounts[0]": `volumeMounts: added {"mountPath":"/tmp","name":"tmp"}`,
		"spec.containers[0].volumeMounts[1]": `volumeMounts: added {"mountPath":"/var/cache","name":"var-cache"}`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("appended items (-want +got):\n%s", d)
	}
}
