package imagelock

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: no lock file makes Parse panic, and a lock it accepts writes back to a file
// that reads as the same lock (what Write produces, psafix can read).
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleFile))
	f.Add([]byte("version: 1\nimages:\n- &e {image: a, reference: docker.io/library/a:latest, digest: " + d1 + "}\n- *e\n"))
	f.Add([]byte("version: 1\nimages: [{image: x, reference: 'docker.io/library/x@" + d2 + "', digest: " + d2 + ", user: '0:0', uid: 0, gid: 0}]\n"))
	f.Add([]byte("version: !!str 1\nimages: ~\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("f", data)
		if err != nil {
			return
		}
		back, err := Parse("f", l.Marshal())
		if err != nil {
			t.Fatalf("a lock psafix wrote does not read back: %v\n%s", err, l.Marshal())
		}
		if d := cmp.Diff(l, back); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}
