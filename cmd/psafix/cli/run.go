package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// run is one invocation over a set of paths.
type run struct {
	opts   *fixers.Options
	flags  *flags
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	errors, changed, files, workloads, fixed, remaining int
	printed, openLine                                   bool
}

// input is one file to process.
type input struct {
	path  string // as shown to the user and in diff headers
	stdin bool
	err   error // a walk error to report in order
}

const stdinName = "<stdin>"

func (r *run) main(args []string) (int, error) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	inputs, err := r.collect(args)
	if err != nil {
		return ExitError, err
	}
	for _, in := range inputs {
		if in.stdin && r.flags.write {
			return ExitError, usageError{errors.New("--write cannot rewrite standard input; write to a file or drop --write")}
		}
	}
	engine := fixers.NewEngine(r.opts)
	process(inputs, r.flags.jobs, func(in input) *fixers.Result { return r.fix(engine, in) }, r.emit)
	r.summary()
	switch {
	case r.errors > 0:
		return ExitError, nil
	case r.remaining > 0:
		return ExitFindings, nil
	case (r.flags.diff || r.flags.list) && r.changed > 0:
		return ExitFindings, nil
	}
	return ExitOK, nil
}

// collect expands directories into the manifest files below them, in lexical order.
func (r *run) collect(args []string) ([]input, error) {
	var out []input
	for _, a := range args {
		if a == "-" {
			out = append(out, input{path: stdinName, stdin: true})
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			out = append(out, input{path: a, err: err})
			continue
		}
		if !st.IsDir() {
			out = append(out, input{path: a})
			continue
		}
		found := 0
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				out = append(out, input{path: p, err: err})
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if p != a && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(name)) {
			case ".yaml", ".yml", ".json":
				out = append(out, input{path: p})
				found++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if found == 0 {
			out = append(out, input{path: a, err: errors.New("no *.yaml, *.yml or *.json files in this directory")})
		}
	}
	return out, nil
}

func (r *run) read(in input) ([]byte, error) {
	if in.stdin {
		return io.ReadAll(io.LimitReader(r.stdin, r.flags.maxSize+1))
	}
	f, err := os.Open(in.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, r.flags.maxSize+1))
}

// fix reads and fixes one input; it runs on a worker.
func (r *run) fix(engine *fixers.Engine, in input) *fixers.Result {
	if in.err != nil {
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: errMsg(in.err)}}
	}
	data, err := r.read(in)
	if err != nil {
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: errMsg(err)}}
	}
	if int64(len(data)) > r.flags.maxSize {
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: fmt.Sprintf("larger than --max-size (%d bytes): skipped", r.flags.maxSize)}}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &fixers.Result{Path: in.path, Old: data, Err: &fixers.FileError{Path: in.path, Msg: "binary file (NUL byte): skipped"}}
	}
	if !utf8.Valid(data) {
		return &fixers.Result{Path: in.path, Old: data, Err: &fixers.FileError{Path: in.path, Line: invalidUTF8Line(data), Msg: "not UTF-8 text: skipped"}}
	}
	return engine.FixFile(in.path, data)
}

func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		c, n := utf8.DecodeRune(data)
		if c == utf8.RuneError && n <= 1 {
			return line
		}
		if c == '\n' {
			line++
		}
		data = data[n:]
	}
	return line
}

func errMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// emit prints or writes one result; results arrive in input order.
func (r *run) emit(res *fixers.Result) {
	r.files++
	for _, b := range res.Bugs {
		fmt.Fprintln(r.stderr, b.String())
		r.errors++
	}
	if res.Err != nil {
		fmt.Fprintf(r.stderr, "%v\n", res.Err)
		r.errors++
		if !r.flags.write && !r.flags.diff && !r.flags.list && res.Old != nil {
			// Pass the file through untouched, so a pipeline loses nothing.
			r.out(res.Old)
		}
		return
	}
	r.workloads += res.Workloads
	r.fixed += res.Fixed
	for _, n := range res.Notes {
		fmt.Fprintln(r.stderr, n.String())
	}
	for _, f := range res.Remaining {
		fmt.Fprintln(r.stderr, f.String())
	}
	r.remaining += len(res.Remaining)
	if res.Changed() {
		r.changed++
	}
	switch {
	case r.flags.write:
		if res.Changed() {
			if err := kio.WriteFile(res.Path, res.Old, res.New); err != nil {
				fmt.Fprintf(r.stderr, "%s: not written: %v\n", res.Path, errMsg(err))
				r.errors++
				r.changed--
			}
		}
	case r.flags.diff:
		if res.Changed() {
			d := diffview.Unified(diffPath(res.Path), diffPath(res.Path), res.Old, res.New, 3)
			if r.flags.color == "always" || (r.flags.color == "auto" && isTerminal(r.stdout)) {
				d = diffview.Colorize(d)
			}
			io.WriteString(r.stdout, d)
		}
	case r.flags.list:
		if res.Changed() {
			fmt.Fprintln(r.stdout, res.Path)
		}
	default:
		out := res.Old
		if res.Changed() {
			out = res.New
		}
		r.out(out)
	}
}

// out prints a file's manifests on stdout; files are joined with a document separator
// when one is needed, so the stream stays valid multi-document YAML.
// A file without a final newline is printed as it is; the newline the next file needs comes
// with that file, so a single input comes back byte for byte.
func (r *run) out(data []byte) {
	if len(data) == 0 {
		return
	}
	if r.printed {
		if r.openLine {
			io.WriteString(r.stdout, "\n")
		}
		if !bytes.HasPrefix(bytes.TrimPrefix(data, kio.BOM), []byte("---")) {
			io.WriteString(r.stdout, "---\n")
		}
	}
	r.stdout.Write(data)
	r.printed, r.openLine = true, data[len(data)-1] != '\n'
}

func diffPath(p string) string {
	if p == stdinName {
		return "stdin"
	}
	return filepath.ToSlash(p)
}

func (r *run) summary() {
	verb := "fixed"
	if r.flags.diff || r.flags.list {
		verb = "would fix"
	}
	changed := fmt.Sprintf("%d changed", r.changed)
	if r.flags.diff || r.flags.list {
		changed = fmt.Sprintf("%d would change", r.changed)
	}
	msg := fmt.Sprintf("psafix: %s files (%s), %d workloads (%s %d)", plural(r.files), changed, r.workloads, verb, r.fixed)
	if r.remaining > 0 {
		msg += fmt.Sprintf(", %d violations remain at %s", r.remaining, r.opts.Level)
	}
	if r.errors > 0 {
		msg += fmt.Sprintf(", %d errors", r.errors)
	}
	fmt.Fprintln(r.stderr, msg)
}

func plural(n int) string { return fmt.Sprint(n) }
