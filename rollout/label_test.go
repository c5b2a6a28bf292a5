package rollout

import (
	"bytes"
	"testing"
)

var warnPlan = map[string][]Label{}

func init() {
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		warnPlan[n] = []Label{{LabelPrefix + "warn", "restricted"}, {LabelPrefix + "warn-version", "v1.35"}}
	}
}

// TestLabelFormats: labels are added or changed in every way a Namespace is written, the
// result verifies, says what it changed, and a second pass changes nothing.
func TestLabelFormats(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no labels", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: v1.35\n"},
		{"labels kept, value changed in place", "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    team: b # owners\n    pod-security.kubernetes.io/warn: baseline # was\n  name: b\n",
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    team: b # owners\n    pod-security.kubernetes.io/warn: restricted # was\n    pod-security.kubernetes.io/warn-version: v1.35\n  name: b\n"},
		{"flow labels", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n  labels: {team: c}\n",
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: c\n  labels: {team: c, pod-security.kubernetes.io/warn: restricted, pod-security.kubernetes.io/warn-version: v1.35}\n"},
		{"empty labels", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: d\n  labels: {}\n",
			"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: d\n  labels:\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: v1.35\n"},
		{"json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e"}}` + "\n",
			`{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "e", "labels": {"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.35"}}}` + "\n"},
		{"crlf", "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: f\r\n",
			"apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: f\r\n  labels:\r\n    pod-security.kubernetes.io/warn: restricted\r\n    pod-security.kubernetes.io/warn-version: v1.35\r\n"},
		{"list item, quoted value kept", "apiVersion: v1\nkind: NamespaceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: g\n    labels:\n      \"pod-security.kubernetes.io/warn\": \"restricted\"\n",
			"apiVersion: v1\nkind: NamespaceList\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: g\n    labels:\n      \"pod-security.kubernetes.io/warn\": \"restricted\"\n      pod-security.kubernetes.io/warn-version: v1.35\n"},
		{"other objects untouched", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changes, err := LabelFile("x.yaml", []byte(c.in), warnPlan)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", out, c.want)
			}
			n := 0
			for _, mc := range changes {
				n += len(mc.Changes)
			}
			if c.in != c.want && n == 0 {
				t.Errorf("changes not reported")
			}
			again, changes, err := LabelFile("x.yaml", out, warnPlan)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("second pass changed the file (%v):\n%s", err, again)
			}
			for _, mc := range changes {
				if len(mc.Changes) > 0 {
					t.Errorf("second pass reports changes: %+v", mc.Changes)
				}
			}
		})
	}
}
