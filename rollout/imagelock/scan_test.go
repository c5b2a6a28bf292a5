package imagelock

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
      containers:
      - name: web
        image: &web nginx:1.27 # a comment
      - name: sidecar
        image: *web
      - name: no-image
---
not: [valid
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    containers:
    - {name: a, image: "ghcr.io/org/app@sha256:1111111111111111111111111111111111111111111111111111111111111111"}
    - {name: b, image: busybox:1.36}
---
apiVersion: v1
kind: ConfigMap
data: {image: not-a-container}
`
	want := []string{"busybox:1.36", "nginx:1.27", "ghcr.io/org/app@sha256:1111111111111111111111111111111111111111111111111111111111111111"}
	if got := Scan([]byte(manifests)); !cmp.Equal(got, want) {
		t.Errorf("Scan = %q, want %q", got, want)
	}
}
