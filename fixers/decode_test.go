package fixers

import (
	"strings"
	"testing"
)

// TestUndecodable: a pod template the API server cannot decode is an error at the line and
// column of the offending key, saying what the API expects; the file is left as it is.
func TestUndecodable(t *testing.T) {
	const pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
	for _, c := range []struct {
		name, doc string
		line, col int
		msg       string
	}{
		{"containers number", pod + "spec:\n  containers: 5\n", 6, 3, "spec.containers: a list expected, not the number 5"},
		{"security context list", pod + "spec:\n  securityContext: [a]\n  containers: [{name: c, image: x}]\n", 6, 3, "spec.securityContext: a mapping expected, not a list"},
		{"run as user string", pod + "spec:\n  containers:\n  - name: c\n    image: x\n    securityContext:\n      runAsUser: \"abc\"\n", 10, 7, `spec.containers[0].securityContext.runAsUser: an integer expected, not the string "abc"`},
		{"label number", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata:\n      labels: {tier: 1}\n    spec:\n      containers: [{name: c, image: x}]\n", 7, 16, "spec.template.metadata.labels[tier]: a string expected, not the number 1"},
		{"through a merge key", pod + "x: &base {runAsUser: no}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {<<: *base}\n", 5, 11, "spec.containers[0].securityContext.runAsUser: an integer expected, not no, which YAML 1.1 (kubectl) reads as false"},
		{"item not a mapping", pod + "spec:\n  containers:\n  - just-a-name\n", 7, 5, `spec.containers[0]: a mapping expected, not the string "just-a-name"`},
		{"json", `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": "80"}]}]}}`, 1, 127, `spec.containers[0].ports[0].containerPort: an integer expected, not the string "80"`},
		{"yaml 1.1 boolean", pod + "spec:\n  containers:\n  - name: c\n    image: y\n", 8, 5, "spec.containers[0].image: a string expected, not y, which YAML 1.1 (kubectl) reads as true (quote it for a string)"},
		{"quantity", pod + "spec:\n  containers:\n  - name: c\n    image: x\n    resources: {limits: {cpu: lots}}\n", 9, 26, `limits[cpu]: a quantity (such as 100m or 1Gi) expected, not the string "lots"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := NewEngine(DefaultOptions()).FixFile("f.yaml", []byte(c.doc))
			if res.Err != nil || len(res.Errors) != 1 {
				t.Fatalf("Err %v, Errors %v", res.Err, res.Errors)
			}
			e := res.Errors[0]
			if e.Path != "f.yaml" || e.Line != c.line || e.Column != c.col || !strings.Contains(e.Msg, c.msg) {
				t.Errorf("got %s (line %d, column %d), want %d:%d and %q", e, e.Line, e.Column, c.line, c.col, c.msg)
			}
			if res.New != nil || res.Fixed != 0 || len(res.Changes) != 0 {
				t.Errorf("the file changed: fixed %d", res.Fixed)
			}
			for _, r := range append(res.Remaining, res.Before...) {
				if strings.Contains(r.Message, "cannot decode") {
					t.Errorf("reported as a violation too: %s", r)
				}
			}
		})
	}
}
