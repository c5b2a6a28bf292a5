package diffview

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const nl = noNewline

// numbered returns "k1: v\n" ... "kN: v\n" with the listed lines changed to "kI: changed\n".
func numbered(n int, changed ...int) string {
	var sb strings.Builder
	for i := 1; i <= n; i++ {
		v := "v"
		for _, c := range changed {
			if c == i {
				v = "changed"
			}
		}
		fmt.Fprintf(&sb, "k%d: %s\n", i, v)
	}
	return sb.String()
}

const pod = "kind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: nginx\n    ports:\n    - containerPort: 80\n"

var goldenCases = []struct {
	name    string
	a, b    string
	zeroCtx bool   // use context 0 instead of the usual 3
	want    string // hunks only; the test adds the headers
}{
	{
		name: "insertion in the middle",
		a:    pod,
		b:    strings.Replace(pod, "nginx\n", "nginx\n    securityContext:\n      allowPrivilegeEscalation: false\n", 1),
		want: "@@ -5,5 +5,7 @@\n   containers:\n   - name: app\n     image: nginx\n" +
			"+    securityContext:\n+      allowPrivilegeEscalation: false\n     ports:\n     - containerPort: 80\n",
	},
	{
		name: "value change",
		a:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: true\n  containers:\n  - name: app\n    image: nginx\n    ports:\n",
		b:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: false\n  containers:\n  - name: app\n    image: nginx\n    ports:\n",
		want: "@@ -3,7 +3,7 @@\n metadata:\n   name: web\n spec:\n-  hostNetwork: true\n+  hostNetwork: false\n" +
			"   containers:\n   - name: app\n     image: nginx\n",
	},
	{
		name: "CRLF",
		a:    "a: 1\r\nb: 2\r\nc: 3\r\n",
		b:    "a: 1\r\nb: 20\r\nc: 3\r\n",
		want: "@@ -1,3 +1,3 @@\n a: 1\r\n-b: 2\r\n+b: 20\r\n c: 3\r\n",
	},
	{
		name: "only old lacks final newline",
		a:    "a: 1\nb: 2",
		b:    "a: 1\nb: 2\n",
		want: "@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n" + nl + "+b: 2\n",
	},
	{
		name: "only new lacks final newline",
		a:    "a: 1\nb: 2\n",
		b:    "a: 1\nb: 3",
		want: "@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n" + nl,
	},
	{
		name: "both lack final newline, last line changes",
		a:    "a: 1\nb: 2",
		b:    "a: 1\nb: 3",
		want: "@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n" + nl + "+b: 3\n" + nl,
	},
	{
		name: "both lack final newline, unterminated line is context",
		a:    "a: 1\nb: 2\nc: 3",
		b:    "a: 10\nb: 2\nc: 3",
		want: "@@ -1,3 +1,3 @@\n-a: 1\n+a: 10\n b: 2\n c: 3\n" + nl,
	},
	{
		name: "two distant hunks",
		a:    numbered(20),
		b:    numbered(20, 3, 15),
		want: "@@ -1,6 +1,6 @@\n k1: v\n k2: v\n-k3: v\n+k3: changed\n k4: v\n k5: v\n k6: v\n" +
			"@@ -12,7 +12,7 @@\n k12: v\n k13: v\n k14: v\n-k15: v\n+k15: changed\n k16: v\n k17: v\n k18: v\n",
	},
	{
		name: "hunks 2*context apart are merged",
		a:    numbered(20),
		b:    numbered(20, 5, 12),
		want: "@@ -2,14 +2,14 @@\n k2: v\n k3: v\n k4: v\n-k5: v\n+k5: changed\n" +
			" k6: v\n k7: v\n k8: v\n k9: v\n k10: v\n k11: v\n" +
			"-k12: v\n+k12: changed\n k13: v\n k14: v\n k15: v\n",
	},
	{
		name: "hunks 2*context+1 apart stay separate",
		a:    numbered(20),
		b:    numbered(20, 5, 13),
		want: "@@ -2,7 +2,7 @@\n k2: v\n k3: v\n k4: v\n-k5: v\n+k5: changed\n k6: v\n k7: v\n k8: v\n" +
			"@@ -10,7 +10,7 @@\n k10: v\n k11: v\n k12: v\n-k13: v\n+k13: changed\n k14: v\n k15: v\n k16: v\n",
	},
	{
		name: "empty old",
		a:    "",
		b:    "a: 1\nb: 2\n",
		want: "@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n",
	},
	{
		name: "empty new",
		a:    "a: 1\n",
		b:    "",
		want: "@@ -1 +0,0 @@\n-a: 1\n",
	},
	{
		name: "BOM, UTF-8 and invalid bytes pass through",
		a:    "\xef\xbb\xbfname: caf\xc3\xa9\nraw: \xff\xfe\n",
		b:    "\xef\xbb\xbfname: caf\xc3\xa9\nraw: \xff\xfe!\n",
		want: "@@ -1,2 +1,2 @@\n \xef\xbb\xbfname: caf\xc3\xa9\n-raw: \xff\xfe\n+raw: \xff\xfe!\n",
	},
	{
		name:    "zero context insertion names the line before",
		a:       numbered(5),
		b:       strings.Replace(numbered(5), "k3: v\n", "k3: v\nnew: x\n", 1),
		zeroCtx: true,
		want:    "@@ -3,0 +4 @@\n+new: x\n",
	},
	{
		name: "identical",
		a:    pod,
		b:    pod,
		want: "",
	},
}

func TestUnifiedGolden(t *testing.T) {
	gnu, _ := exec.LookPath("diff")
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := 3
			if tc.zeroCtx {
				ctx = 0
			}
			got := Unified("./deploy.yaml", "deploy.yaml", []byte(tc.a), []byte(tc.b), ctx)
			want := ""
			if tc.want != "" {
				want = "--- a/deploy.yaml\n+++ b/deploy.yaml\n" + tc.want
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("Unified mismatch (-want +got):\n%s", d)
			}
			if gnu != "" {
				// The expectations are meant to be exactly what GNU diff prints.
				if d := cmp.Diff(gnuHunks(t, tc.a, tc.b, ctx), tc.want); d != "" {
					t.Errorf("golden differs from GNU diff (-gnu +golden):\n%s", d)
				}
			}
		})
	}
}

func gnuHunks(t *testing.T, a, b string, ctx int) string {
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	must(t, os.WriteFile(pa, []byte(a), 0o644))
	must(t, os.WriteFile(pb, []byte(b), 0o644))
	out, err := exec.Command("diff", "-U"+strconv.Itoa(ctx), pa, pb).Output()
	if err != nil && len(out) == 0 && a != b {
		t.Fatalf("diff: %v", err)
	}
	s := string(out)
	for range 2 {
		if _, rest, ok := strings.Cut(s, "\n"); ok {
			s = rest
		}
	}
	return s
}

func TestUnifiedHeaders(t *testing.T) {
	got := Unified("././old/x.yaml", "new/x.yaml", []byte("a\n"), []byte("b\n"), 3)
	want := "--- a/old/x.yaml\n+++ b/new/x.yaml\n@@ -1 +1 @@\n-a\n+b\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestColorize(t *testing.T) {
	a := "--- x\nkeep\r\nlast"
	b := "++ y\nkeep\r\nlast!"
	diff := Unified("f", "f", []byte(a), []byte(b), 3)
	got := Colorize(diff)
	want := "\x1b[1m--- a/f\x1b[0m\n" +
		"\x1b[1m+++ b/f\x1b[0m\n" +
		"\x1b[36m@@ -1,3 +1,3 @@\x1b[0m\n" +
		"\x1b[31m---- x\x1b[0m\n" + // a removed "--- x" line, not a header
		"\x1b[32m+++ y\x1b[0m\n" +
		" keep\r\n" +
		"\x1b[31m-last\x1b[0m\n" + nl +
		"\x1b[32m+last!\x1b[0m\n" + nl
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if Colorize("") != "" {
		t.Error(`Colorize("") != ""`)
	}
}

// applyUnified applies a diff made by Unified to a. It is stricter than
// patch: hunks must come in order, their line counts and new-side positions
// must match their headers, and every context and removed line must equal
// the old line byte for byte.
func applyUnified(a []byte, diff string) ([]byte, error) {
	if diff == "" {
		return a, nil
	}
	lines := strings.SplitAfter(diff, "\n")
	if lines[len(lines)-1] != "" {
		return nil, errors.New("diff does not end in a newline")
	}
	lines = lines[:len(lines)-1]
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "--- a/") || !strings.HasPrefix(lines[1], "+++ b/") {
		return nil, errors.New("missing headers")
	}
	lines = lines[2:]
	old := strings.SplitAfter(string(a), "\n")
	if old[len(old)-1] == "" {
		old = old[:len(old)-1]
	}
	hdr := regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n$`)
	num := func(s string) int {
		if s == "" {
			return 1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	var out []string
	pos := 0
	for len(lines) > 0 {
		m := hdr.FindStringSubmatch(lines[0])
		if m == nil {
			return nil, fmt.Errorf("bad hunk header %q", lines[0])
		}
		lines = lines[1:]
		oldStart, oldN, newStart, newN := num(m[1]), num(m[2]), num(m[3]), num(m[4])
		var pre, post []string
		last := byte(0)
		for len(pre) < oldN || len(post) < newN || len(lines) > 0 && lines[0][0] == '\\' {
			if len(lines) == 0 {
				return nil, errors.New("hunk truncated")
			}
			l := lines[0]
			lines = lines[1:]
			switch l[0] {
			case ' ':
				pre, post = append(pre, l[1:]), append(post, l[1:])
			case '-':
				pre = append(pre, l[1:])
			case '+':
				post = append(post, l[1:])
			case '\\':
				if l != noNewline || last == 0 {
					return nil, fmt.Errorf("misplaced %q", l)
				}
				if last != '+' {
					pre[len(pre)-1] = strings.TrimSuffix(pre[len(pre)-1], "\n")
				}
				if last != '-' {
					post[len(post)-1] = strings.TrimSuffix(post[len(post)-1], "\n")
				}
			default:
				return nil, fmt.Errorf("bad hunk line %q", l)
			}
			last = l[0]
		}
		if len(pre) != oldN || len(post) != newN {
			return nil, fmt.Errorf("hunk has %d/%d lines, header says %d/%d", len(pre), len(post), oldN, newN)
		}
		start := oldStart - 1
		if oldN == 0 {
			start = oldStart
		}
		if start < pos || start+oldN > len(old) {
			return nil, fmt.Errorf("hunk at line %d out of order or range", oldStart)
		}
		out = append(out, old[pos:start]...)
		if d := cmp.Diff(old[start:start+oldN], pre, cmpopts.EquateEmpty()); d != "" {
			return nil, fmt.Errorf("hunk at line %d does not match (-file +hunk):\n%s", oldStart, d)
		}
		if wantStart := len(out) + 1; newN == 0 && newStart != wantStart-1 || newN > 0 && newStart != wantStart {
			return nil, fmt.Errorf("hunk new start %d, want %d", newStart, wantStart)
		}
		out = append(out, post...)
		pos = start + oldN
	}
	out = append(out, old[pos:]...)
	return []byte(strings.Join(out, "")), nil
}

// checkRoundTrip is the property shared by the randomized test and the fuzzer.
func checkRoundTrip(t *testing.T, a, b []byte, context int) {
	t.Helper()
	if d := Unified("f", "f", a, a, context); d != "" {
		t.Fatalf("Unified(a, a) = %q, want empty", d)
	}
	d := Unified("f", "f", a, b, context)
	if (d == "") != bytes.Equal(a, b) {
		t.Fatalf("Unified(%q, %q) = %q", a, b, d)
	}
	got, err := applyUnified(a, d)
	if err != nil {
		t.Fatalf("applying diff of %q -> %q: %v\n%s", a, b, err, d)
	}
	if !bytes.Equal(got, b) {
		t.Fatalf("applying diff of %q -> %q gave %q\n%s", a, b, got, d)
	}
}

// randomEdit returns a random small file of short lines (mixed LF/CRLF,
// sometimes without a final newline, lots of repeats) and an edited copy.
func randomEdit(r *rand.Rand) (a, b []byte) {
	words := []string{"a", "b", "c", "", " ", "- x", "key: v", "caf\xc3\xa9", "\xff\xfe", "\xef\xbb\xbfbom"}
	line := func() string {
		l := words[r.IntN(len(words))]
		if r.IntN(4) == 0 {
			return l + "\r\n"
		}
		return l + "\n"
	}
	var lines []string
	for range r.IntN(15) {
		lines = append(lines, line())
	}
	join := func(ls []string, chop bool) []byte {
		s := strings.Join(ls, "")
		if chop {
			s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
		}
		return []byte(s)
	}
	a = join(lines, r.IntN(4) == 0)
	edited := append([]string(nil), lines...)
	for range 1 + r.IntN(4) {
		i := r.IntN(len(edited) + 1)
		switch op := r.IntN(3); {
		case op == 0 || len(edited) == 0 || i == len(edited):
			edited = append(edited[:i], append([]string{line()}, edited[i:]...)...)
		case op == 1:
			edited = append(edited[:i], edited[i+1:]...)
		default:
			edited[i] = line()
		}
	}
	return a, join(edited, r.IntN(4) == 0)
}

func TestUnifiedRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(20240611, 7))
	for i := range 200 {
		a, b := randomEdit(r)
		ctx := r.IntN(5)
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkRoundTrip(t, a, b, ctx) })
	}
}

func FuzzUnified(f *testing.F) {
	for _, tc := range goldenCases {
		f.Add([]byte(tc.a), []byte(tc.b), uint8(3))
	}
	f.Add([]byte("a\r\nb"), []byte("a\nb\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, a, b []byte, ctx uint8) {
		checkRoundTrip(t, a, b, int(ctx%6))
	})
}

func TestApplyWithGitAndPatch(t *testing.T) {
	type tcase struct {
		name string
		a, b []byte
	}
	var cases []tcase
	for _, tc := range goldenCases {
		if tc.a != tc.b {
			cases = append(cases, tcase{tc.name, []byte(tc.a), []byte(tc.b)})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		a, b := randomEdit(r)
		if !bytes.Equal(a, b) && len(b) > 0 {
			cases = append(cases, tcase{"random " + strconv.Itoa(i), a, b})
		}
	}

	tools := []struct {
		name string
		cmds [][]string
	}{
		{"git", [][]string{{"git", "apply", "--check"}, {"git", "apply"}}},
		{"patch", [][]string{
			{"patch", "-p1", "--batch", "--no-backup-if-mismatch", "--dry-run"},
			{"patch", "-p1", "--batch", "--no-backup-if-mismatch"},
		}},
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			if _, err := exec.LookPath(tool.name); err != nil {
				t.Skipf("%s not installed", tool.name)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					dir := t.TempDir()
					run(t, dir, "", "git", "init", "-q")
					file := filepath.Join(dir, "manifests", "app.yaml")
					must(t, os.MkdirAll(filepath.Dir(file), 0o755))
					must(t, os.WriteFile(file, tc.a, 0o644))
					diff := Unified("./manifests/app.yaml", "manifests/app.yaml", tc.a, tc.b, 3)
					for _, c := range tool.cmds {
						run(t, dir, diff, c...)
					}
					got, err := os.ReadFile(file)
					must(t, err)
					if !bytes.Equal(got, tc.b) {
						t.Errorf("%s produced %q, want %q\ndiff:\n%s", tool.name, got, tc.b, diff)
					}
				})
			}
		})
	}
}

// TestApplyNames checks the headers of paths git would quote or end with a tab: git apply
// and patch -p1 must both find the file.
func TestApplyNames(t *testing.T) {
	names := []string{"my dir/p q.yaml", "t\u00e9st.yaml", `a"b.yaml`, `x\y.yaml`, "tab\tz.yaml", "trailing .yaml"}
	for _, tool := range [][][]string{
		{{"git", "apply", "--check"}, {"git", "apply"}},
		{{"patch", "-p1", "--batch", "--no-backup-if-mismatch", "--dry-run"}, {"patch", "-p1", "--batch", "--no-backup-if-mismatch"}},
	} {
		t.Run(tool[0][0], func(t *testing.T) {
			if _, err := exec.LookPath(tool[0][0]); err != nil {
				t.Skipf("%s not installed", tool[0][0])
			}
			for _, name := range names {
				dir := t.TempDir()
				run(t, dir, "", "git", "init", "-q")
				file := filepath.Join(dir, filepath.FromSlash(name))
				must(t, os.MkdirAll(filepath.Dir(file), 0o755))
				must(t, os.WriteFile(file, []byte("a\n"), 0o644))
				diff := Unified(name, name, []byte("a\n"), []byte("b\n"), 3)
				for _, c := range tool {
					run(t, dir, diff, c...)
				}
				if got, _ := os.ReadFile(file); string(got) != "b\n" {
					t.Errorf("%q: got %q\ndiff:\n%s", name, got, diff)
				}
			}
		})
	}
}

func TestHeaderQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"a/x.yaml":         "a/x.yaml",
		"a/p q.yaml":       "a/p q.yaml\t",
		"a/t\u00e9st.yaml": `"a/t\303\251st.yaml"`,
		`a/a"b`:            `"a/a\"b"`,
		"a/t\tz":           `"a/t\tz"`,
	} {
		if got := header(in); got != want {
			t.Errorf("header(%q) = %q, want %q", in, got, want)
		}
	}
}

func run(t *testing.T, dir, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	// Keep the user's git config (autocrlf, whitespace=error...) out of it.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s\npatch:\n%s", strings.Join(args, " "), err, out, stdin)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func BenchmarkUnified(b *testing.B) {
	var sb strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&sb, "  - name: c%d\n    image: nginx\n    securityContext:\n      runAsNonRoot: true\n    ports: []\n", i)
	}
	old := []byte(sb.String()) // 10,000 lines with many repeats, like real manifests
	lines := strings.SplitAfter(sb.String(), "\n")
	for _, at := range []int{100, 3000, 5000, 7000, 9900} {
		lines[at] = "      allowPrivilegeEscalation: false\n" + lines[at]
	}
	neu := []byte(strings.Join(lines, ""))
	b.ReportAllocs()
	for b.Loop() {
		if Unified("a.yaml", "a.yaml", old, neu, 3) == "" {
			b.Fatal("no diff")
		}
	}
}
