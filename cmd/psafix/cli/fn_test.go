package cli

import (
	"strings"
	"testing"
)

const fnInput = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
    annotations:
      config.kubernetes.io/index: '0'
  spec:
    containers:
    - name: c
      image: busybox
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata:
    name: function-input
  data:
    skip: read-only-root
`

// TestFnWithoutArguments checks that plain psafix with a ResourceList on stdin is the KRM
// function (kustomize's exec path and an image entrypoint pass no arguments), the same as
// psafix fn.
func TestFnWithoutArguments(t *testing.T) {
	out, errs, code := runCLI([]string{"fn"}, []byte(fnInput))
	if code != ExitOK || strings.Contains(errs, "[") {
		// Notes (the risky edits) go to stderr too; violations would be "[check]" lines.
		t.Fatalf("psafix fn: exit %d, stderr:\n%s", code, errs)
	}
	for _, want := range []string{"kind: ResourceList", "runAsNonRoot: true", "config.kubernetes.io/index: '0'", "results:", "fixer: seccomp"} {
		if !strings.Contains(out, want) {
			t.Errorf("psafix fn output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "readOnlyRootFilesystem") {
		t.Errorf("the ConfigMap's skip was not used:\n%s", out)
	}
	out2, errs2, code2 := runCLI(nil, []byte(fnInput))
	if out2 != out || errs2 != errs || code2 != code {
		t.Errorf("psafix without arguments differs from psafix fn: exit %d, stderr %q, output:\n%s", code2, errs2, out2)
	}
}

func TestFnExitCodes(t *testing.T) {
	bad := strings.Replace(fnInput, "skip: read-only-root", "skip: read-only", 1)
	out, errs, code := runCLI([]string{"fn"}, []byte(bad))
	if code != 1 || !strings.Contains(errs, `bad functionConfig: ConfigMap "function-input": unknown fixer "read-only"`) || !strings.HasSuffix(errs, "\n") {
		t.Errorf("bad functionConfig: exit %d, stderr %q", code, errs)
	}
	if strings.Contains(out, "runAsNonRoot") {
		t.Errorf("items were fixed with a bad functionConfig:\n%s", out)
	}
	unfixable := strings.Replace(fnInput, "      image: busybox\n", "      image: busybox\n      securityContext:\n        privileged: true\n", 1)
	_, errs, code = runCLI(nil, []byte(unfixable))
	if code != 1 || !strings.Contains(errs, `psafix: Pod/p container "c": [privileged]`) || !strings.HasSuffix(errs, "psafix: 4 violations remain at restricted\n") {
		t.Errorf("unfixable: exit %d, stderr:\n%s", code, errs)
	}
	out, errs, code = runCLI([]string{"fn"}, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"))
	if code != ExitError || out != "" || !strings.Contains(errs, "not a KRM ResourceList") {
		t.Errorf("plain manifest to psafix fn: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, errs, code := runCLI([]string{"fn", "extra"}, []byte(fnInput)); code != ExitError {
		t.Errorf("psafix fn with an argument: exit %d, stderr %q", code, errs)
	}
}

// TestStdinStillManifests checks that stdin that is not a ResourceList is fixed as before.
func TestStdinStillManifests(t *testing.T) {
	in := "# a pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
	out, errs, code := runCLI(nil, []byte(in))
	if code != ExitOK || !strings.HasPrefix(out, "# a pod\napiVersion: v1\n") || !strings.Contains(out, "runAsNonRoot: true") || !strings.Contains(errs, "psafix: 1 file (1 changed)") {
		t.Errorf("exit %d, stderr %q, output:\n%s", code, errs, out)
	}
	// Only the default mode is the function: check and --diff read a ResourceList as a
	// manifest.
	for _, args := range [][]string{{"check"}, {"--diff"}} {
		if out, errs, _ := runCLI(args, []byte(fnInput)); strings.Contains(out, "results:") || strings.Contains(errs, "bad functionConfig") {
			t.Errorf("psafix %s ran the function: stdout:\n%s\nstderr:\n%s", args[0], out, errs)
		}
	}
	// --write with no path still refuses standard input, without waiting to read it.
	if _, errs, code := runCLI([]string{"--write"}, []byte(fnInput)); code != ExitError || !strings.Contains(errs, "--write cannot rewrite standard input") {
		t.Errorf("--write without a path: exit %d, stderr %q", code, errs)
	}
}
