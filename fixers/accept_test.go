package fixers

import (
	"strings"
	"testing"

	"k8s.io/pod-security-admission/policy"
)

const acceptedAgent = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  namespace: ops
  annotations:
    psafix.dev/accept: "hostPathVolumes, privileged,hostNetworkz"
    psafix.dev/accept-reason: reads /var/log (SEC-42)
spec:
  template:
    spec:
      containers:
        - name: agent
          image: ghcr.io/ops/agent:1
          securityContext:
            privileged: true
      volumes:
        - name: varlog
          hostPath:
            path: /var/log
`

// TestAccept: the violations an object accepts are reported as accepted, with its reason;
// the others are not; an unknown check ID is a note.
func TestAccept(t *testing.T) {
	for _, level := range []string{"baseline", "restricted"} {
		o, err := ParseOptions(OptionStrings{Level: level})
		if err != nil {
			t.Fatal(err)
		}
		res := NewEngine(o).FixFile("agent.yaml", []byte(acceptedAgent))
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		accepted := map[string]bool{}
		for _, r := range res.Remaining {
			if r.Accepted != "" {
				accepted[string(r.Check)] = true
				if r.Accepted != "reads /var/log (SEC-42)" || !strings.Contains(r.Text(), "(accepted: reads /var/log (SEC-42))") {
					t.Errorf("%s: %s", level, r.Text())
				}
			}
		}
		want := map[string]bool{"privileged": true, "hostPathVolumes": true}
		if level == "restricted" {
			want = map[string]bool{"privileged": true, "restrictedVolumes": true}
		}
		for c := range want {
			if !accepted[c] {
				t.Errorf("%s: %s not accepted", level, c)
			}
		}
		for c := range accepted {
			if !want[c] {
				t.Errorf("%s: %s accepted, but the object does not name it", level, c)
			}
		}
		notes := ""
		for _, n := range res.Notes {
			notes += n.Text() + "\n"
		}
		if !strings.Contains(notes, "names hostNetworkz, not a Pod Security check ID") {
			t.Errorf("%s: no note about the unknown ID:\n%s", level, notes)
		}
	}
	var a *Acceptance
	if a.Accepts("privileged", "") {
		t.Error("nil acceptance accepts")
	}
	a = &Acceptance{Checks: []policy.CheckID{"hostPathVolumes"}}
	if a.Accepts("restrictedVolumes", `volume "nfs" uses restricted volume type "nfs"`) {
		t.Error("hostPathVolumes accepts an nfs volume")
	}
}
