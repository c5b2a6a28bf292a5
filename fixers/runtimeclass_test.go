package fixers

import (
	"strings"
	"testing"
)

// TestExemptRuntimeClass: a pod whose runtime class the admission config exempts is left
// alone and said so; the other pods of the file are fixed.
func TestExemptRuntimeClass(t *testing.T) {
	in := `apiVersion: v1
kind: Pod
metadata: {name: vm}
spec:
  runtimeClassName: kata
  containers:
    - name: c
      image: ghcr.io/acme/vm:1
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  containers:
    - name: c
      image: ghcr.io/acme/app:1
`
	o := DefaultOptions()
	o.ExemptRuntimeClass = func(rc string) string {
		if rc == "kata" {
			return "exempt: runtime class kata"
		}
		return ""
	}
	res := NewEngine(o).FixFile("pods.yaml", []byte(in))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out := string(res.New)
	if first := out[:strings.Index(out, "---")]; first != in[:strings.Index(in, "---")] {
		t.Errorf("the exempt pod changed:\n%s", first)
	}
	if !strings.Contains(out[strings.Index(out, "---"):], "runAsNonRoot: true") {
		t.Errorf("the other pod was not fixed:\n%s", out)
	}
	notes := ""
	for _, n := range res.Notes {
		notes += n.Text() + "\n"
	}
	if !strings.Contains(notes, "Pod/vm: note: left alone: exempt: runtime class kata") {
		t.Errorf("no note for the exempt pod:\n%s", notes)
	}
	for _, r := range res.Remaining {
		if r.Object == "Pod/vm" {
			t.Errorf("the exempt pod is reported: %s", r.Text())
		}
	}
}
