package fixers

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/psafix/psafix/kio"
)

const verifyBase = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # the name
spec:
  template:
    metadata:
      annotations:
        team: web
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      securityContext:
        runAsUser: 0
      volumes:
      - name: data
        configMap: {name: data}
      containers:
      - name: app
        image: nginx:1.27
        volumeMounts:
        - {name: data, mountPath: /data}
        securityContext:
          privileged: true
`

// TestSameOutsideOwned: the verification accepts changes in the fields the fixers own and
// refuses every other change, and it leaves the original's decoded value as it found it.
func TestSameOutsideOwned(t *testing.T) {
	writable := []string{"/tmp"}
	tests := []struct {
		name   string
		edit   func(string) string
		reason string // "" when the change is the fixers' to make
	}{
		{"unchanged", func(s string) string { return s }, ""},
		{"pod securityContext", func(s string) string {
			return strings.Replace(s, "runAsUser: 0", "runAsUser: 1000\n        runAsNonRoot: true", 1)
		}, ""},
		{"container securityContext", func(s string) string {
			return strings.Replace(s, "privileged: true", "privileged: true\n          readOnlyRootFilesystem: true\n          capabilities: {drop: [ALL]}", 1)
		}, ""},
		{"pod securityContext emptied", func(s string) string {
			return strings.Replace(s, "        runAsUser: 0\n", "        {}\n", 1)
		}, ""},
		// The fixers own fields of the securityContexts, not all of them.
		{"privileged changed", func(s string) string {
			return strings.Replace(s, "privileged: true", "privileged: false\n          readOnlyRootFilesystem: true", 1)
		}, "outside the security fields"},
		{"pod securityContext removed", func(s string) string {
			return strings.Replace(s, "      securityContext:\n        runAsUser: 0\n", "", 1)
		}, "outside the security fields"},
		{"a field nobody owns added to a securityContext", func(s string) string {
			return strings.Replace(s, "runAsUser: 0", "runAsUser: 0\n        runAsGroup: 0", 1)
		}, "outside the security fields"},
		{"AppArmor annotation removed", func(s string) string {
			return strings.Replace(s, "        container.apparmor.security.beta.kubernetes.io/app: unconfined\n", "", 1)
		}, ""},
		{"seccomp annotation added", func(s string) string {
			return strings.Replace(s, "team: web", "team: web\n        seccomp.security.alpha.kubernetes.io/pod: runtime/default", 1)
		}, ""},
		{"emptyDir and mount at a writable path", func(s string) string {
			s = strings.Replace(s, "configMap: {name: data}", "configMap: {name: data}\n      - name: tmp\n        emptyDir: {}", 1)
			return strings.Replace(s, "mountPath: /data}", "mountPath: /data}\n        - {name: tmp, mountPath: /tmp}", 1)
		}, ""},
		{"image", func(s string) string { return strings.Replace(s, "nginx:1.27", "nginx:1.28", 1) }, "outside the security fields"},
		{"other annotation", func(s string) string { return strings.Replace(s, "team: web", "team: api", 1) }, "outside the security fields"},
		{"volume removed", func(s string) string {
			return strings.Replace(s, "      - name: data\n        configMap: {name: data}\n", "", 1)
		}, "outside the security fields"},
		{"volume that is not an emptyDir", func(s string) string {
			return strings.Replace(s, "configMap: {name: data}", "configMap: {name: data}\n      - name: tmp\n        hostPath: {path: /tmp}", 1)
		}, "outside the security fields"},
		{"mount at a path that is not writable", func(s string) string {
			s = strings.Replace(s, "configMap: {name: data}", "configMap: {name: data}\n      - name: tmp\n        emptyDir: {}", 1)
			return strings.Replace(s, "mountPath: /data}", "mountPath: /data}\n        - {name: tmp, mountPath: /var}", 1)
		}, "outside the security fields"},
		{"a field beside securityContext", func(s string) string {
			return strings.Replace(s, "runAsUser: 0", "runAsUser: 0\n      hostNetwork: true", 1)
		}, "outside the security fields"},
		{"comment lost", func(s string) string { return strings.Replace(s, " # the name", "", 1) }, "comments changed"},
	}
	before := parseDoc(t, verifyBase)
	vb, err := kio.ToValue(before.Root)
	if err != nil {
		t.Fatal(err)
	}
	pristine, _ := kio.ToValue(before.Root)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := parseDoc(t, tt.edit(verifyBase))
			got := sameOutsideOwned(before, after, vb, nil, writable, nil)
			if tt.reason == "" && got != "" {
				t.Errorf("refused a change the fixers own: %s", got)
			}
			if tt.reason != "" && !strings.Contains(got, tt.reason) {
				t.Errorf("got %q, want a refusal with %q", got, tt.reason)
			}
			if diff := cmp.Diff(pristine, vb); diff != "" {
				t.Errorf("the original's value changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRestorePath: a securityContext the fixers created (or filled where it was null) goes
// once their fields are restored; one that holds anything else stays, to be compared.
func TestRestorePath(t *testing.T) {
	path := []string{"securityContext", "runAsNonRoot"}
	for _, tt := range []struct {
		name          string
		before, after map[string]any
		want          map[string]any
	}{
		{"created", map[string]any{}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}}, map[string]any{}},
		{"filled a null", map[string]any{"securityContext": nil}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}}, map[string]any{"securityContext": nil}},
		{"added to {}", map[string]any{"securityContext": map[string]any{}}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}}, map[string]any{"securityContext": map[string]any{}}},
		{"changed", map[string]any{"securityContext": map[string]any{"runAsNonRoot": false}}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": true}}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": false}}},
		{"created with more", map[string]any{}, map[string]any{"securityContext": map[string]any{"runAsNonRoot": true, "privileged": true}}, map[string]any{"securityContext": map[string]any{"privileged": true}}},
	} {
		restorePath(tt.before, tt.after, path)
		if d := cmp.Diff(tt.want, tt.after); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{nil, nil, true},
		{"1", int64(1), false},
		{int64(1), int64(1), true},
		{1.5, 1.5, true},
		{true, "true", false},
		{map[string]any{"a": []any{int64(1), "x"}}, map[string]any{"a": []any{int64(1), "x"}}, true},
		{map[string]any{"a": nil}, map[string]any{}, false},
		{map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{[]any{}, []any{nil}, false},
		{[]any{"a"}, "a", false},
		{"a", []any{"a"}, false},
		{map[string]any{}, nil, false},
	}
	for _, tt := range tests {
		for _, sw := range []bool{false, true} {
			a, b := tt.a, tt.b
			if sw {
				a, b = b, a
			}
			if got := equal(a, b); got != tt.want {
				t.Errorf("equal(%#v, %#v) = %v, want %v", a, b, got, tt.want)
			}
		}
	}
}

func parseDoc(t *testing.T, text string) *kio.Document {
	t.Helper()
	src := kio.NewSource([]byte(text))
	d, err := kio.ParseDocument(src, kio.Split(src.Data)[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestVerifyFinalChecksWhatTheFixersWrote: the values written inside a securityContext are
// not compared with the original, so the verification refuses a result whose pod no longer
// decodes (readOnlyRootFilesystem run on into the next line's text, as a tag left behind
// did) or fails a check it passed (an anchor edited for one field changes its aliases).
func TestVerifyFinalChecksWhatTheFixersWrote(t *testing.T) {
	e := NewEngine(DefaultOptions())
	before := parseDoc(t, verifyBase)
	vb, err := kio.ToValue(before.Root)
	if err != nil {
		t.Fatal(err)
	}
	ds := &docState{doc: before, value: vb}
	for _, w := range kio.FindWorkloads(before) {
		ps := &podState{w: w, target: e.target(w)}
		ps.meta, ps.spec, ps.err = podOf(vb, w)
		if ps.err != nil {
			t.Fatal(ps.err)
		}
		ps.failing = e.eval.Evaluate(ps.lv(), ps.meta, ps.spec)
		ds.workloads = append(ds.workloads, ps)
	}
	for _, tt := range []struct {
		name, after, want string
	}{
		{"fixed", strings.Replace(verifyBase, "privileged: true", "privileged: true\n          readOnlyRootFilesystem: true", 1), ""},
		{"not decodable", strings.Replace(verifyBase, "privileged: true", "privileged: true\n          readOnlyRootFilesystem: true\n           !", 1), "does not decode"},
		{"a check it passed", strings.Replace(verifyBase, "privileged: true", "privileged: true\n          procMount: Unmasked", 1), "fail procMount"},
	} {
		final := kio.NewSource([]byte(tt.after))
		got := e.verifyFinal(final, kio.Split(final.Data)[0], ds)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: verifyFinal = %q, want %q", tt.name, got, tt.want)
		}
	}
}
