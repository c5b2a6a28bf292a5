package fixers

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psafix/psafix/kio"
)

// FuzzFixFile runs the whole pipeline on arbitrary input: it never panics, a result it
// writes parses, it never produces a document the verifier rejected, and a second run
// changes nothing. Seeds: the shared torture and round-trip files when PSAFIX_CORPUS is set,
// and the repository's golden inputs.
func FuzzFixFile(f *testing.F) {
	inputs, _ := filepath.Glob(filepath.Join("..", "fixtures", "*", "*", "input.yaml"))
	if dir := os.Getenv("PSAFIX_CORPUS"); dir != "" {
		for _, set := range []string{"torture", "roundtrip"} {
			more, _ := filepath.Glob(filepath.Join(dir, set, "*.*"))
			inputs = append(inputs, more...)
		}
	}
	for _, p := range inputs {
		if b, err := os.ReadFile(p); err == nil && filepath.Ext(p) != ".tsv" {
			f.Add(b)
		}
	}
	engine := NewEngine(DefaultOptions())
	f.Fuzz(func(t *testing.T, data []byte) {
		// The direct pod decoder agrees with encoding/json wherever it answers.
		src := kio.NewSource(data)
		for i, seg := range kio.Split(src.Data) {
			if d, err := kio.ParseDocument(src, seg, i); err == nil && d.Root != nil {
				if v, err := kio.ToValue(d.Root); err == nil {
					for _, w := range kio.FindWorkloads(d) {
						if tmpl := at(v, w.Path); tmpl != nil {
							sameAsJSON(t, "fuzz", tmpl)
						}
					}
				}
			}
		}
		res := engine.FixFile("fuzz.yaml", data)
		if res.Err != nil {
			if res.New != nil {
				t.Fatalf("a file with an error was given new content")
			}
			return
		}
		for _, b := range res.Bugs {
			// Refusing to edit an odd document is allowed; producing an edit that the
			// verifier then rejects is a bug in the editor.
			if strings.Contains(b.Message, "did not verify") {
				t.Fatalf("verification rejected a fix: %s\n--- input\n%s", b.Message, data)
			}
		}
		if res.New == nil {
			return
		}
		out := kio.NewSource(res.New)
		inSegs := kio.Split(src.Data)
		for i, seg := range kio.Split(out.Data) {
			nd, err := kio.ParseDocument(out, seg, i)
			if err != nil {
				t.Fatalf("output does not parse: %v\n--- input\n%s\n--- output\n%s", err, data, res.New)
			}
			// Every fixed pod decodes strictly (no unknown field) wherever its original did.
			if nd.Root == nil || i >= len(inSegs) {
				continue
			}
			od, err := kio.ParseDocument(src, inSegs[i], i)
			if err != nil || od.Root == nil {
				continue
			}
			vo, err1 := kio.ToValue(od.Root)
			vn, err2 := kio.ToValue(nd.Root)
			if err1 != nil || err2 != nil {
				continue
			}
			ow, nw := kio.FindWorkloads(od), kio.FindWorkloads(nd)
			for j := range nw {
				if j < len(ow) && unknownField(at(vo, ow[j].Path)) == "" {
					if f := unknownField(at(vn, nw[j].Path)); f != "" {
						t.Fatalf("output does not decode strictly: unknown field %s\n--- input\n%s\n--- output\n%s", f, data, res.New)
					}
				}
			}
		}
		again := engine.FixFile("fuzz.yaml", res.New)
		if again.New != nil && !bytes.Equal(again.New, res.New) {
			t.Fatalf("second run changed the output\n--- first\n%s\n--- second\n%s", res.New, again.New)
		}
	})
}
