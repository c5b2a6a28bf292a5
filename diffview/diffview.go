// Package diffview renders the changes psafix makes as unified diffs that
// `git apply` and `patch -p1` accept, so `psafix --diff` output can be
// reviewed and then applied as-is.
package diffview

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
)

const noNewline = "\\ No newline at end of file\n"

// Unified returns a unified diff turning a into b, with "--- a/<oldPath>" and "+++ b/<newPath>" headers
// (oldPath/newPath are slash paths relative to the working directory, as the user gave them; a leading "./" is stripped)
// and hunks with `context` lines of context (3 is what callers use). It returns "" when a and b are equal.
func Unified(oldPath, newPath string, a, b []byte, context int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	context = max(context, 0)
	al, bl := splitLines(a), splitLines(b)
	ops := lineOps(al, bl)

	var out strings.Builder
	out.WriteString("--- " + header("a/"+trimDot(oldPath)) + "\n")
	out.WriteString("+++ " + header("b/"+trimDot(newPath)) + "\n")
	// ops alternates between equal and changed runs, so a hunk is a changed
	// run at s, extended two ops at a time while the equal run in between is
	// short enough that the two contexts would touch or overlap (GNU merges
	// at exactly 2*context too).
	for s := 0; s < len(ops); s++ {
		if ops[s].equal {
			continue
		}
		e := s
		for e+2 < len(ops) && ops[e+1].a1-ops[e+1].a0 <= 2*context {
			e += 2
		}
		pre, post := 0, 0
		if s > 0 {
			pre = min(context, ops[s-1].a1-ops[s-1].a0)
		}
		if e+1 < len(ops) {
			post = min(context, ops[e+1].a1-ops[e+1].a0)
		}
		a0, a1 := ops[s].a0-pre, ops[e].a1+post
		b0, b1 := ops[s].b0-pre, ops[e].b1+post
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(a0, a1-a0), hunkRange(b0, b1-b0))

		writeLines(&out, ' ', al, a0, ops[s].a0)
		for _, op := range ops[s : e+1] {
			if op.equal {
				writeLines(&out, ' ', al, op.a0, op.a1)
				continue
			}
			writeLines(&out, '-', al, op.a0, op.a1)
			writeLines(&out, '+', bl, op.b0, op.b1)
		}
		writeLines(&out, ' ', al, ops[e].a1, a1)
		s = e
	}
	return out.String()
}

// op is a maximal run of equal or changed lines: a[a0:a1] became b[b0:b1].
type op struct {
	equal          bool
	a0, a1, b0, b1 int
}

// lineOps diffs a and b line by line. Each distinct line stands for one rune (as go-diff's
// DiffLinesToRunes would do, without copying both texts into strings and its own line
// table), so the rune count of a diff's text is its line count; the lines themselves are
// then taken from our own split of the input, which keeps every byte (CR, BOM, invalid
// UTF-8) intact.
func lineOps(a, b lineSet) []op {
	ids := map[string]rune{}
	next := rune(1)
	runes := func(l lineSet) []rune {
		rs := make([]rune, l.len())
		for i := range rs {
			ln := l.line(i)
			id, ok := ids[string(ln)]
			if !ok {
				id = next
				ids[string(ln)] = id
				if next++; next == 0xD800 {
					next = 0xE000 // no surrogate: go-diff turns runes into strings
				}
			}
			rs[i] = id
		}
		return rs
	}
	ra, rb := runes(a), runes(b)
	ids = nil
	var ops []op
	i, j := 0, 0
	for _, d := range diffmatchpatch.New().DiffMainRunes(ra, rb, false) {
		n := utf8.RuneCountInString(d.Text)
		if n == 0 {
			continue
		}
		eq := d.Type == diffmatchpatch.DiffEqual
		// Adjacent deletes and inserts are folded into one changed run so
		// that each hunk lists all removals before the additions, as GNU does.
		if len(ops) == 0 || ops[len(ops)-1].equal != eq {
			ops = append(ops, op{equal: eq, a0: i, a1: i, b0: j, b1: j})
		}
		last := &ops[len(ops)-1]
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			i, j = i+n, j+n
		case diffmatchpatch.DiffDelete:
			i += n
		case diffmatchpatch.DiffInsert:
			j += n
		}
		last.a1, last.b1 = i, j
	}
	if i != a.len() || j != b.len() {
		// A wrong line mapping would silently produce a corrupt patch.
		panic(fmt.Sprintf("diffview: go-diff covered %d/%d and %d/%d lines", i, a.len(), j, b.len()))
	}
	return ops
}

// lineSet is a text cut into lines: after each '\n', keeping it, plus a final unterminated
// line if any. It holds where each line ends: a [][]byte would cost three words a line,
// which for a 10 MiB file of short lines is tens of MiB.
type lineSet struct {
	text []byte
	ends []int
}

func splitLines(s []byte) lineSet {
	l := lineSet{text: s, ends: make([]int, 0, bytes.Count(s, []byte{'\n'})+1)}
	for at := 0; at < len(s); {
		n := bytes.IndexByte(s[at:], '\n') + 1
		if n == 0 {
			n = len(s) - at
		}
		at += n
		l.ends = append(l.ends, at)
	}
	return l
}

func (l lineSet) len() int { return len(l.ends) }

func (l lineSet) line(i int) []byte {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return l.text[start:l.ends[i]]
}

// writeLines writes lines [from, to) of l, each after prefix.
func writeLines(out *strings.Builder, prefix byte, l lineSet, from, to int) {
	for i := from; i < to; i++ {
		ln := l.line(i)
		out.WriteByte(prefix)
		out.Write(ln)
		if ln[len(ln)-1] != '\n' {
			out.WriteString("\n" + noNewline)
		}
	}
}

// hunkRange formats start (0-based) and count the way GNU diff does: an
// empty range names the line before it, and a count of 1 is left out.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return strconv.Itoa(start) + ",0"
	case 1:
		return strconv.Itoa(start + 1)
	}
	return strconv.Itoa(start+1) + "," + strconv.Itoa(n)
}

// header writes a path for a "---" or "+++" line the way git does, so that both git apply
// and patch -p1 read it back: a name with a double quote, a backslash, a control character
// or a byte outside ASCII is written C-quoted ("a/t\303\251st.yaml"), and a name with a
// space is followed by a tab, which ends the name for patch (it would stop at the space).
func header(name string) string {
	quote := false
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x7f {
			quote = true
			break
		}
	}
	if quote {
		var b strings.Builder
		b.WriteByte('"')
		for i := 0; i < len(name); i++ {
			switch c := name[i]; c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\v':
				b.WriteString(`\v`)
			case '\f':
				b.WriteString(`\f`)
			case '\r':
				b.WriteString(`\r`)
			default:
				if c < 0x20 || c >= 0x7f {
					fmt.Fprintf(&b, "\\%03o", c)
				} else {
					b.WriteByte(c)
				}
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	if strings.ContainsRune(name, ' ') {
		return name + "\t"
	}
	return name
}

func trimDot(p string) string {
	for strings.HasPrefix(p, "./") {
		p = p[2:]
	}
	return p
}

const (
	bold  = "\x1b[1m"
	cyan  = "\x1b[36m"
	red   = "\x1b[31m"
	green = "\x1b[32m"
	reset = "\x1b[0m"
)

// Colorize adds ANSI colours to a unified diff made by Unified: headers bold, hunk headers cyan, deletions red, insertions green.
func Colorize(diff string) string {
	var out strings.Builder
	// Inside a hunk a removed "-- x" line looks like a "--- " header, so the
	// hunk header's line counts decide where the hunk body ends.
	oldLeft, newLeft := 0, 0
	for len(diff) > 0 {
		n := strings.IndexByte(diff, '\n') + 1
		if n == 0 {
			n = len(diff)
		}
		line, body := diff[:n], strings.TrimSuffix(diff[:n], "\n")
		diff = diff[n:]

		color := ""
		switch {
		case oldLeft > 0 || newLeft > 0:
			switch line[0] {
			case ' ':
				oldLeft, newLeft = oldLeft-1, newLeft-1
			case '-':
				oldLeft, color = oldLeft-1, red
			case '+':
				newLeft, color = newLeft-1, green
			case '\\': // "\ No newline" belongs to the line before
			default: // not a diff we made; stop trusting the counts
				oldLeft, newLeft = 0, 0
			}
		case strings.HasPrefix(line, "@@ "):
			oldLeft, newLeft = hunkCounts(line)
			color = cyan
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "):
			color = bold
		}
		if color == "" {
			out.WriteString(line)
			continue
		}
		out.WriteString(color + body + reset + line[len(body):])
	}
	return out.String()
}

// hunkCounts reads the line counts from "@@ -l[,s] +l[,s] @@".
func hunkCounts(header string) (oldN, newN int) {
	f := strings.Fields(header)
	if len(f) < 3 {
		return 0, 0
	}
	count := func(r string) int {
		_, s, ok := strings.Cut(r[1:], ",")
		if !ok {
			return 1
		}
		n, _ := strconv.Atoi(s)
		return n
	}
	return count(f[1]), count(f[2])
}

// NewFile returns the diff that creates a file holding b, as git writes it: a "diff --git"
// line, "new file mode", "--- /dev/null" and "+++ b/<path>", so that git apply and patch -p1
// create the file.
func NewFile(path string, b []byte, executable bool) string {
	d := Unified(path, path, nil, b, 3)
	if d == "" {
		return ""
	}
	name := header("b/" + trimDot(path))
	_, hunks, _ := strings.Cut(d, "\n+++ ")
	_, hunks, _ = strings.Cut(hunks, "\n")
	mode := "100644"
	if executable {
		mode = "100755"
	}
	return fmt.Sprintf("diff --git %s %s\nnew file mode %s\n--- /dev/null\n+++ %s\n%s",
		header("a/"+trimDot(path)), name, mode, name, hunks)
}
