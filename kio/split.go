// Package kio reads Kubernetes manifests without losing a byte of them: it splits a file into
// documents, parses each with kyaml's YAML nodes, finds the pod specs inside, and turns
// semantic changes ("set securityContext.runAsNonRoot to true") into byte edits of the
// original text, so everything psafix does not need to change stays exactly as it was.
package kio

import (
	"bytes"
)

// BOM is the UTF-8 byte order mark some editors put at the start of a file.
var BOM = []byte{0xEF, 0xBB, 0xBF}

// Segment is one YAML document of a file, located by byte offsets into the file (BOM
// excluded). Separator and end-marker lines are not part of any segment's Body, so that
// edits inside a document can never touch them.
type Segment struct {
	// Start and End delimit the document's content (End exclusive).
	Start, End int
	// Line is the 1-based line number in the file of the document's first line.
	Line int
}

// Split cuts data (without a BOM) into documents at the lines YAML treats as document
// markers: "---" and "..." at column 0, followed by a space, a tab or the end of the line.
// A marker inside a block scalar must be indented, so column 0 is always a real boundary.
// The bytes between segments (markers, with whatever follows them on their line) belong to
// no segment and are never edited.
func Split(data []byte) []Segment {
	var segs []Segment
	start, startLine := 0, 1
	line := 1
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		if l := data[off:next]; isMarker(l) {
			segs = append(segs, Segment{Start: start, End: off, Line: startLine})
			start, startLine = next, line+1
			if l[0] == '-' && MarkerContent(l) != nil {
				// "--- {a: 1}" or "--- !tag": the document starts on the marker line, so
				// the parser must see the marker too.
				start, startLine = off, line
			}
		}
		off = next
		line++
	}
	return append(segs, Segment{Start: start, End: len(data), Line: startLine})
}

// isMarker reports whether a line (with its terminator) is a "---" or "..." document marker.
// A "---" may carry content after it ("--- # comment", or even "--- {a: 1}"): such content
// is kept byte for byte, and a document starting on the marker line is not edited.
func isMarker(line []byte) bool {
	if len(line) < 3 {
		return false
	}
	if !bytes.HasPrefix(line, []byte("---")) && !bytes.HasPrefix(line, []byte("...")) {
		return false
	}
	if len(line) == 3 {
		return true
	}
	switch line[3] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// MarkerContent returns what follows a "---" marker on its line other than a comment
// (for "--- {a: 1}" or "--- !tag").
func MarkerContent(line []byte) []byte {
	rest := bytes.TrimSpace(line[3:])
	if len(rest) == 0 || rest[0] == '#' {
		return nil
	}
	return rest
}
