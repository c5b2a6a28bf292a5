package krm

import (
	"bytes"
	"strings"
	"testing"
)

// TestMalformedItems: items kyaml reads but cannot write back (metadata, annotations or
// labels that are not mappings, an item that is not a mapping) are refused with a message
// naming the item and its line, never a panic.
func TestMalformedItems(t *testing.T) {
	const head = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
	pod := func(meta string) string {
		return head + "- apiVersion: v1\n  kind: Pod\n  metadata: " + meta + "\n  spec: {containers: [{name: a, image: b}]}\n"
	}
	tests := []struct{ input, want string }{
		{pod("[annotations]"), "items[0] (Pod): metadata (line 6) is a list, not a mapping"},
		{pod("[a, b, c]"), "items[0] (Pod): metadata (line 6) is a list"},
		{pod(`"str"`), "items[0] (Pod): metadata (line 6) is \"str\""},
		{pod("{annotations: [a, b, c]}"), "items[0] (Pod): metadata.annotations (line 6) is a list"},
		{pod("{annotations: [config.kubernetes.io/path]}"), "metadata.annotations (line 6) is a list"},
		{pod("{labels: [a]}"), "metadata.labels (line 6) is a list"},
		{pod("[{annotations: x}]"), "metadata (line 6) is a list"},
		{head + "- just a string\n- [1, 2]\n", "items[0] (line 4) is \"just a string\", not a mapping"},
		{head + "- {kind: ConfigMap, metadata: {name: a}}\n- [1, 2]\n", "items[1] (line 5) is a list, not a mapping"},
		{"# c\n---\n" + pod("[a]"), "items[0] (Pod): metadata (line 8) is a list"},
	}
	for _, tt := range tests {
		out, stderr, code := run([]byte(tt.input))
		if code != ExitError || out != "" || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "panic") {
			t.Errorf("input:\n%s\nexit %d, stdout %q, stderr:\n%s\nwant exit %d and %q", tt.input, code, out, stderr, ExitError, tt.want)
		}
	}
	// Null metadata, annotations and labels are fine.
	for _, meta := range []string{"~", "{annotations: ~, labels: null, name: p}"} {
		if _, stderr, code := run([]byte(pod(meta))); code == ExitError {
			t.Errorf("metadata %s: exit %d:\n%s", meta, code, stderr)
		}
	}
}

// TestPanicIsABug: a panic while handling the input is reported as a psafix bug with the
// documented exit code 1, and nothing is written.
func TestPanicIsABug(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(panicReader{}, &out, &errb)
	if code != ExitFindings || out.Len() != 0 || !strings.HasPrefix(errb.String(), "psafix bug: boom") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out.String(), errb.String())
	}
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("boom") }
