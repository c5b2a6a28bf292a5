package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

const namespacesInput = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    pod-security.kubernetes.io/enforce: baseline
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata:
      name: infra
      labels:
        pod-security.kubernetes.io/enforce: privileged
---
apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: shop
spec:
  containers:
    - name: a
      image: ghcr.io/acme/a:1
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  namespace: infra
spec:
  containers:
    - name: b
      image: ghcr.io/acme/b:1
---
apiVersion: v1
kind: Pod
metadata:
  name: c
spec:
  containers:
    - name: c
      image: ghcr.io/acme/c:1
`

// TestNamespaceLevels: a fix run follows the Namespace labels of its input, --level wins
// over baseline and restricted labels, privileged namespaces are left alone and said so,
// and --namespace names the namespace of workloads without one. The Namespaces may be in
// another file than the workloads.
func TestNamespaceLevels(t *testing.T) {
	dir := t.TempDir()
	docs := strings.SplitN(namespacesInput, "---\napiVersion: v1\nkind: Pod", 2)
	writeFile(t, filepath.Join(dir, "a-namespaces.yaml"), docs[0])
	pods := writeFile(t, filepath.Join(dir, "b-pods.yaml"), "apiVersion: v1\nkind: Pod"+docs[1])

	pass := func(out, pod string) string {
		// The part of the output that belongs to one pod.
		i := strings.Index(out, "name: "+pod+"\n")
		if i < 0 {
			t.Fatalf("pod %s not in output:\n%s", pod, out)
		}
		rest := out[i:]
		if j := strings.Index(rest, "\n---"); j >= 0 {
			rest = rest[:j]
		}
		return rest
	}
	// read-only-root on every container shows that pod a was fixed, for baseline.
	out, report, _ := runCLIArgs(t, "--read-only-root=all", dir)
	if strings.Contains(pass(out, "a"), "runAsNonRoot") || !strings.Contains(pass(out, "a"), "readOnlyRootFilesystem") {
		t.Errorf("shop enforces baseline: pod a should get only read-only-root:\n%s", pass(out, "a"))
	}
	if strings.Contains(pass(out, "b"), "securityContext") {
		t.Errorf("infra is privileged: pod b should be left alone:\n%s", pass(out, "b"))
	}
	if !strings.Contains(report, "Pod/infra/b: note: left alone: its namespace is privileged (Namespace infra at "+filepath.Join(dir, "a-namespaces.yaml")+":11") {
		t.Errorf("privileged namespace not said:\n%s", report)
	}
	if !strings.Contains(pass(out, "c"), "runAsNonRoot") {
		t.Errorf("pod c has no namespace: restricted applies:\n%s", pass(out, "c"))
	}

	out, _, _ = runCLIArgs(t, "--level=restricted", dir)
	if !strings.Contains(pass(out, "a"), "runAsNonRoot") || strings.Contains(pass(out, "b"), "securityContext") {
		t.Errorf("--level restricted: pod a should be fixed for restricted, pod b still left alone:\n%s", out)
	}

	out, _, _ = runCLIArgs(t, "--namespace=shop", pods, filepath.Join(dir, "a-namespaces.yaml"))
	if strings.Contains(pass(out, "c"), "runAsNonRoot") {
		t.Errorf("--namespace shop: pod c should be fixed for baseline:\n%s", pass(out, "c"))
	}

	_, report, code := runCLIArgs(t, "check", dir)
	if code != ExitFindings || !strings.Contains(report, "namespace infra is privileged") {
		t.Errorf("check: exit %d\n%s", code, report)
	}
}
