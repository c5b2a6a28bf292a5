package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/krm"
	"github.com/psafix/psafix/rollout"
	"github.com/psafix/psafix/sources/chart"
	"github.com/psafix/psafix/sources/overlay"
)

// run is one invocation over a set of paths.
type run struct {
	opts *fixers.Options
	// configOpts are the options of the files under another config than the run's.
	configOpts map[*rollout.Config]*fixers.Options
	// settings are the options as written, flags over the config file (set by prepare).
	settings rollout.Settings
	flags    *flags
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer

	// check reports the violations of the files as they are and changes nothing.
	check bool
	// survey is psafix report: nothing is written, an overlay is built and reported whole.
	survey bool

	tally             rollout.Tally
	counted           overlay.Counted // a workload built by an overlay and given as a file counts once
	overlays          []string        // the folders of the kustomizations the walk met
	told              map[string]bool // the notes about kustomizations told (tell)
	args              []string        // the paths given (report: what lies outside them)
	all               collected
	printed, openLine bool
	// stdinRest is what standard input holds beyond --max-size, once it was found larger.
	stdinRest io.Reader
	// streaming: the inputs marked stream are fixed part by part, their reports emitted by
	// the worker (the fix run does; report and label collect whole results).
	streaming bool
	progress  bool
	total     int
}

// input is one file to process.
type input struct {
	path  string // as shown to the user and in diff headers
	stdin bool
	err   error // a walk error to report in order
	// chart marks a Helm chart's folder: rendered and checked as a whole (package chart).
	chart bool
	// overlay marks a kustomization given to check or report: built and checked as a whole.
	overlay bool
	// walked: found in a folder, so read only if it is a regular file; note: skipped, with
	// this note (a FIFO met in a walk).
	walked bool
	note   string
	// size is the file's size where known; stream marks a large file fixed and reported
	// part by part (fixers.FixFileParts), so that its memory is one part's.
	size   int64
	stream bool
	// config is the file's .psafix.yaml (set by prepare), or nil.
	config *rollout.Config
}

const stdinName = "<stdin>"

func (r *run) main(args []string) (int, error) {
	if len(args) == 0 {
		// kustomize's exec functions and a function image's entrypoint run psafix without
		// arguments, a ResourceList on stdin: psafix is then the KRM function. Only in the
		// default mode: check, --diff and --list treat it as a manifest, and --write refuses
		// stdin below without waiting for it.
		if !r.check && !r.flags.write && !r.flags.diff && !r.flags.list {
			data, err := io.ReadAll(io.LimitReader(r.stdin, krm.MaxInput+1))
			if err != nil {
				return ExitError, err
			}
			if len(data) <= krm.MaxInput && krm.IsResourceList(data) {
				return krm.Run(bytes.NewReader(data), r.stdout, r.stderr), nil
			}
			r.stdin = io.MultiReader(bytes.NewReader(data), r.stdin)
		}
		args = []string{"-"}
	}
	inputs, err := r.collect(args)
	if err != nil {
		return ExitError, err
	}
	r.counted.Off = len(overlay.Targets(args, r.overlays)) == 0
	if err := r.checkValuesFlag(inputs); err != nil {
		return ExitError, err
	}
	for _, in := range inputs {
		if in.stdin && r.flags.write {
			return ExitError, usageError{errors.New("--write cannot rewrite standard input; write to a file or drop --write")}
		}
	}
	_, stdin, err := r.prepare(args, inputs)
	if err != nil {
		return ExitError, err
	}
	for i := range inputs {
		if inputs[i].stdin {
			inputs[i].size = int64(len(stdin))
		}
		// Only this run streams: it emits a file's parts as they come (emitReports).
		inputs[i].stream = inputs[i].size > streamSize && inputs[i].err == nil && inputs[i].note == "" && !inputs[i].chart
	}
	r.streaming = true
	engine := fixers.NewEngine(r.opts)
	engineFor := r.engines(engine)
	r.all.edits = map[string]map[int][]kio.Edit{}
	r.progress = r.flags.format == formatText && len(inputs) > 1 && isTerminal(r.stderr)
	r.total = len(inputs)
	process(inputs, r.flags.jobs, func(in input) *outcome { return r.work(engineFor(in), in) }, r.finish, r.emit)
	if r.progress {
		fmt.Fprint(r.stderr, "\r\033[K")
	}
	r.fixOverlays(engine, args)
	switch r.flags.format {
	case formatJSON:
		r.writeJSON(r.reportOut())
	case formatSARIF:
		r.writeSARIF(r.reportOut())
	}
	r.summary()
	t := r.tally
	switch {
	case t.Errors > 0:
		return ExitError, nil
	case r.tally.Failing(r.settings.FailOn) > 0:
		return ExitFindings, nil
	case (r.flags.diff || r.flags.list) && t.FilesChanged > 0:
		return ExitFindings, nil
	}
	return ExitOK, nil
}

// reportOut is where findings go: standard output when it carries nothing else (check,
// --write), standard error otherwise.
func (r *run) reportOut() io.Writer {
	if r.check || r.flags.write {
		return r.stdout
	}
	return r.stderr
}

// collect expands directories into the manifest files below them, in lexical order. Each
// file is named by its own path, never by a link to it, and is collected once, however many
// links and overlapping arguments reach it.
func (r *run) collect(args []string) ([]input, error) {
	var out []input
	charts := map[string]bool{}
	addChart := func(dir string) {
		if k := filepath.Clean(dir); !charts[k] {
			charts[k] = true
			out = append(out, input{path: dir, chart: true})
		}
	}
	seen := map[any]bool{}
	add := func(in input) {
		if in.err == nil && !in.stdin {
			if st, err := os.Stat(in.path); err == nil { // a FIFO reached twice is told of once
				in.size = st.Size()
				key := kio.FileKey(st)
				if key == nil {
					key, _ = filepath.Abs(in.path)
				}
				if seen[key] {
					return
				}
				seen[key] = true
			}
		}
		out = append(out, in)
	}
	ex := rollout.NewExcludes(r.flags.exclude, r.flags.config, args)
	cs, _ := rollout.NewConfigs(r.flags.config) // a bad config is reported once inputs are read
	for _, a := range args {
		if a == "-" {
			out = append(out, input{path: stdinName, stdin: true})
			continue
		}
		st, err := os.Stat(a)
		if err == nil && ex.Match(a, st.IsDir()) {
			continue
		}
		if err != nil {
			add(input{path: a, err: err})
			continue
		}
		if root, ok := chart.Root(a); ok {
			// A file or folder inside a chart (as pre-commit passes them) stands for the chart.
			addChart(root)
			continue
		}
		if dir, ok := cs.ChartOfValues(a); ok && !st.IsDir() {
			addChart(dir) // a values file .psafix.yaml lists for a chart
			continue
		}
		if !st.IsDir() {
			// Named on the command line: a pipe or a device is read too (psafix <(helm
			// template ...)), up to --max-size.
			p, err := kio.ResolveLink(a)
			add(input{path: p, err: err})
			continue
		}
		if p, err := kio.ResolveLink(a); err == nil {
			a = p // a link to a folder: its folder is walked, and its files named as they are
		}
		found := 0
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				add(input{path: p, err: err})
				return nil
			}
			name := d.Name()
			if p != a && ex.Match(p, d.IsDir()) {
				found++ // left out on purpose: the folder is not empty
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != a && (strings.HasPrefix(name, ".") || name == "vendor" || name == "node_modules") {
					return filepath.SkipDir
				}
				if chart.IsChart(p) {
					found++
					addChart(p)
					return filepath.SkipDir
				}
				return nil
			}
			if name == rollout.ConfigName {
				return nil // the config file is not a manifest
			}
			switch strings.ToLower(filepath.Ext(name)) {
			case ".yaml", ".yml", ".json":
				found++
				if overlay.IsName(name) {
					r.overlays = append(r.overlays, filepath.Dir(p))
				}
				mode := d.Type()
				if mode&fs.ModeSymlink != 0 {
					// A link is followed only to a file inside the tree being walked:
					// --write must never reach outside what the user named.
					target, err := kio.InsideTree(a, p)
					if err != nil {
						add(input{path: p, err: err})
						return nil
					}
					if p, err = kio.ResolveLink(p); err != nil {
						add(input{path: p, err: err})
						return nil
					}
					if st, err := os.Stat(target); err == nil {
						mode = st.Mode().Type()
					}
				}
				if mode&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeDevice|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
					// Reading a FIFO would wait for a writer, and a device may never end.
					add(input{path: p, note: kio.FileType(mode) + ", not a regular file: skipped"})
					return nil
				}
				add(input{path: p, walked: true})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if found == 0 {
			out = append(out, input{path: a, err: errors.New("no *.yaml, *.yml or *.json files in this directory")})
		}
		if (r.check || r.survey) && overlay.File(a) != "" {
			// After its files: a workload met in both is reported at its file's lines.
			out = append(out, input{path: a, overlay: true})
		}
	}
	markPatches(out)
	return out, nil
}

func (r *run) read(in input) ([]byte, error) {
	snap, err := r.snapshot(in)
	return snap.Data, err
}

// snapshot reads an input once, with what WriteFile needs to replace it safely.
func (r *run) snapshot(in input) (kio.Snapshot, error) {
	if in.note != "" {
		return kio.Snapshot{}, kio.ErrNotRegular // skipped in the walk: never opened
	}
	if in.stdin {
		// Up to --max-size and one byte: an endless stream (/dev/zero) must not fill the
		// memory. What is not read stays in stdinRest, so that the default mode can pass
		// it all through: a pipeline gets back what it sent, even when psafix skips it.
		data, err := io.ReadAll(io.LimitReader(r.stdin, r.flags.maxSize+1))
		if err == nil && int64(len(data)) > r.flags.maxSize {
			if r.stdinRest == nil {
				r.stdinRest = r.stdin
			}
			err = kio.ErrTooLarge
		}
		return kio.Snapshot{Data: data}, err
	}
	if in.walked {
		return kio.ReadRegular(in.path, r.flags.maxSize, nil)
	}
	return kio.ReadFile(in.path, r.flags.maxSize)
}

// fix reads and fixes one input; it runs on a worker. It returns the file as read too, for
// WriteFile.
func (r *run) fix(engine *fixers.Engine, in input) (*fixers.Result, kio.Snapshot) {
	if in.err != nil {
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: errMsg(in.err)}}, kio.Snapshot{}
	}
	if in.note != "" {
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Skip: true, Msg: in.note}}, kio.Snapshot{}
	}
	snap, err := r.snapshot(in)
	return r.fixRead(engine, in, snap.Data, err), snap
}

// fixRead fixes an input's bytes, or reports why it could not read them or will not fix them.
func (r *run) fixRead(engine *fixers.Engine, in input, data []byte, err error) *fixers.Result {
	tooLarge := &fixers.FileError{Path: in.path, Msg: fmt.Sprintf("larger than --max-size (%d bytes): skipped", r.flags.maxSize)}
	switch {
	case err == kio.ErrTooLarge && in.stdin:
		// Passed through whole in the default mode: what was read, then the rest (emit).
		return &fixers.Result{Path: in.path, Old: data, Err: tooLarge}
	case err == kio.ErrTooLarge:
		return &fixers.Result{Path: in.path, Err: tooLarge}
	case err == kio.ErrNotRegular:
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: "not a regular file (replaced since the walk?): skipped"}}
	case err != nil:
		return &fixers.Result{Path: in.path, Err: &fixers.FileError{Path: in.path, Msg: errMsg(err)}}
	case int64(len(data)) > r.flags.maxSize:
		return &fixers.Result{Path: in.path, Old: data, Err: tooLarge}
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return &fixers.Result{Path: in.path, Old: data, Err: &fixers.FileError{Path: in.path, Msg: "binary file (NUL byte): skipped"}}
	}
	if !utf8.Valid(data) {
		return &fixers.Result{Path: in.path, Old: data, Err: &fixers.FileError{Path: in.path, Line: kio.InvalidUTF8Line(data), Msg: "not UTF-8 text: skipped"}}
	}
	if r.streaming && in.stream {
		// The worker runs in this file's turn (process): every file before it is emitted
		// and emit waits for this one, so it may emit the parts itself.
		return engine.FixFileParts(in.path, data, func(part *fixers.Result) { r.emitReports(part, true) })
	}
	return engine.FixFile(in.path, data)
}

// streamSize: a larger file is fixed and reported part by part.
const streamSize = 1 << 20

func errMsg(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// outcome is a fixed file with what the workers did beyond fixing: the diff is computed and
// the file written in parallel too (each write waits for the disk), only printing is in order.
type outcome struct {
	*fixers.Result
	snap     kio.Snapshot // the file as read, for WriteFile
	diff     string
	writeErr error
	// stream: the file was streamed, its reports already emitted part by part.
	stream bool
	// writeNotes say what the new file could not keep of the old (owner, group, links).
	writeNotes []string
	// sub are the outcomes of a chart (its rendered templates, its values files), emitted
	// in its place (sources.go); rendered marks a rendered template, never written.
	sub      []*outcome
	rendered bool
	chart    *chart.Result
	// notes are told before the outcome (kustomize's deprecation warnings on a build).
	notes []fixers.Report
}

func (r *run) work(engine *fixers.Engine, in input) (o *outcome) {
	// A panic is a psafix bug: the file is reported and left untouched, and the run goes on.
	defer func() {
		if p := recover(); p != nil {
			o = &outcome{Result: &fixers.Result{Path: in.path, Err: fixers.PanicError(in.path, p)}}
		}
	}()
	testHook(in.path)
	if in.chart {
		return r.workChart(engine, in)
	}
	if in.overlay {
		return r.workOverlay(engine, in)
	}
	res, snap := r.fix(engine, in)
	o = &outcome{Result: res, snap: snap, stream: r.streaming && in.stream}
	if r.check || res.Err != nil || !res.Changed() {
		return o
	}
	if r.flags.diff {
		o.diff = unifiedDiff(res.Path, res.Old, res.New)
	}
	return o
}

// finish writes a changed file: on the workers, outside the CPU limit (see process).
func (r *run) finish(o *outcome) {
	for _, s := range o.sub {
		r.finish(s)
	}
	if o.Result == nil || o.rendered {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			o.writeErr = fixers.PanicError(o.Path, p)
		}
	}()
	if r.flags.write && !r.check && o.Err == nil && o.Changed() {
		o.writeNotes, o.writeErr = r.write(o.Path, o.snap, o.New)
	}
}

// testHook runs before a file is fixed; a test makes it panic.
var testHook = func(path string) {}

// emit prints one outcome; outcomes arrive in input order.
func (r *run) emit(o *outcome) {
	r.tell(o.notes)
	if o.Result == nil {
		r.emitChart(o)
		return
	}
	res := o.Result
	r.tally.Files++
	if r.progress {
		fmt.Fprintf(r.stderr, "\r\033[Kpsafix: %d/%s", r.tally.Files, kio.Count(r.total, "file", "files"))
	}
	if res.Err != nil {
		if fe := fixers.FileErrorOf(res.Err); fe.Skip {
			r.skip(fe)
		} else {
			r.fail(res.Path, fe.Line, 0, res.Err.Error())
		}
		if !r.check && !r.flags.write && !r.flags.diff && !r.flags.list && res.Old != nil {
			// Pass the file through untouched, so a pipeline loses nothing.
			r.out(res.Old)
			if res.Path == stdinName && r.stdinRest != nil {
				w := &lastByte{w: r.stdout}
				io.Copy(w, r.stdinRest)
				r.stdinRest = nil
				if w.n > 0 {
					r.openLine = w.last != '\n'
				}
			}
		}
		return
	}
	for _, e := range res.Errors { // a workload that does not decode: the file is left as it is
		r.fail(e.Path, e.Line, e.Column, e.Error()+": file left untouched")
	}
	// A fix that could not be written changed nothing: the file is counted as an error, as
	// it is on disk, with its violations as they are and none of the fixes' notes.
	written := len(res.Errors) == 0
	if r.flags.write && !r.check && res.Changed() && o.writeErr != nil {
		written = false
		r.notWritten(res.Path, o.writeErr)
	}
	if !o.stream {
		r.emitReports(res, written)
	} else if !written {
		// Its parts were reported as fixed: what was told stands, the count does not.
		r.tally.Fixed -= res.Fixed
		delete(r.all.edits, res.Path)
		r.all.changes = slices.DeleteFunc(r.all.changes, func(c jsonChange) bool { return c.Path == res.Path })
	}
	if !r.check && written {
		r.writeNotes(res.Path, o.writeNotes)
	}
	if res.Changed() && written {
		r.tally.FilesChanged++
	}
	if r.check {
		return
	}
	r.show(res.Path, res.Old, res.New, o.diff)
}

// emitReports tallies and prints what a file (or a part of a streamed one) reports: its
// bugs, workloads, violations and notes. written is false for a fix that could not be
// written: its violations are then those of the file as it is, and its notes are not told.
func (r *run) emitReports(res *fixers.Result, written bool) {
	for _, b := range res.Bugs {
		r.fail(res.Path, b.Line, 0, b.String())
	}
	findings := res.Remaining
	if r.check || !written {
		findings = res.Before
	}
	pods, findings := r.counted.Once(res.Path, res.Pods, findings)
	dups := len(res.Pods) - len(pods)
	if !written {
		pods = append([]fixers.PodSummary{}, pods...)
		for i, p := range pods {
			p.After, p.Fixed = p.Before, false
			pods[i] = p
		}
	}
	outside := r.tally.Outside
	r.tally.AddPods(pods)
	r.tally.Workloads += res.Workloads - (r.tally.Outside - outside) - dups
	if !r.check && written {
		r.tally.Fixed += res.Fixed
		for _, n := range res.Notes {
			r.report("notice", n)
		}
		if r.flags.format == formatJSON {
			for _, c := range res.Changes {
				r.all.changes = append(r.all.changes, toJSONChange(res.Path, c))
			}
		}
	} else if r.check {
		// check fixes nothing, so it has no notes but one: a workload the admission config
		// exempts is not checked, and check says so.
		for _, n := range res.Notes {
			if rollout.ExemptTarget(res.Pods, n.Object) {
				r.report("notice", n)
			}
		}
	}
	for _, f := range findings {
		kind := "error"
		switch {
		case f.Accepted != "":
			kind = "warning"
			r.tally.Accepted++
		case rollout.ExemptFrom(res.Pods, f):
			r.tally.Exempted++
		}
		r.report(kind, f)
	}
	r.tally.Remaining += len(findings)
	if written && len(res.Edits) > 0 && r.flags.format == formatSARIF {
		// Only SARIF needs them at the end; keeping whole results would hold every file
		// of the run in memory.
		all := r.all.edits[res.Path]
		if all == nil {
			all = map[int][]kio.Edit{}
			r.all.edits[res.Path] = all
		}
		for doc, eds := range res.Edits {
			all[doc] = append(all[doc], eds...)
		}
	}
}

// lastByte is a writer that remembers the last byte written.
type lastByte struct {
	w    io.Writer
	n    int64
	last byte
}

func (l *lastByte) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.n += int64(n)
		l.last = p[n-1]
	}
	return n, err
}

// tell reports notes, those about a kustomization once: every build that reads it says it.
func (r *run) tell(notes []fixers.Report) {
	if r.told == nil {
		r.told = map[string]bool{}
	}
	for _, n := range notes {
		if k := n.String(); n.Object != "kustomization" || !r.told[k] {
			r.told[k] = true
			r.report("notice", n)
		}
	}
}

// report prints one finding or note in the chosen format (json and sarif collect them for
// the end of the run).
func (r *run) report(kind string, f fixers.Report) {
	switch r.flags.format {
	case formatJSON, formatSARIF:
		if f.Note {
			r.all.notes = append(r.all.notes, f)
		} else {
			r.all.findings = append(r.all.findings, f)
		}
	case formatGitHub:
		fmt.Fprintln(r.reportOut(), githubLine(kind, f))
	default:
		if r.progress {
			fmt.Fprint(r.stderr, "\r\033[K")
		}
		fmt.Fprintln(r.reportOut(), f.String())
	}
}

// skip tells about a file psafix leaves alone on purpose (a template outside a chart): on
// standard error, as a notice, without counting it as an error.
func (r *run) skip(fe *fixers.FileError) {
	r.tally.Skipped++
	switch r.flags.format {
	case formatJSON, formatSARIF:
		r.all.notes = append(r.all.notes, fixers.Report{Path: fe.Path, Line: fe.Line, Note: true, Message: fe.Msg})
	case formatGitHub:
		fmt.Fprintf(r.reportOut(), "::notice file=%s,line=%d::%s\n", githubEscape(filepath.ToSlash(fe.Path), true), max(fe.Line, 1), githubEscape(fe.Msg, false))
	}
	if r.progress {
		fmt.Fprint(r.stderr, "\r\033[K")
	}
	fmt.Fprintln(r.stderr, fe.Error())
}

// fail records an error about a file; errors always reach standard error (and the JSON
// report), whatever the format.
func (r *run) fail(path string, line, col int, msg string) {
	r.tally.Errors++
	switch r.flags.format {
	case formatJSON, formatSARIF:
		r.all.errors = append(r.all.errors, jsonMessage{Path: path, Line: line, Column: col, Message: msg})
	case formatGitHub:
		fmt.Fprintf(r.reportOut(), "::error file=%s,line=%d,col=%d::%s\n", githubEscape(filepath.ToSlash(path), true), max(line, 1), max(col, 1), githubEscape(msg, false))
	}
	if r.progress {
		fmt.Fprint(r.stderr, "\r\033[K")
	}
	fmt.Fprintln(r.stderr, msg)
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

// diffPath is how a file is named in a diff header, after "a/" and "b/": as git names it,
// with forward slashes and without a leading "/" or "./", so that "git apply" and
// "patch -p1" find the file (from the root, for an absolute path).
func diffPath(p string) string {
	if p == stdinName {
		return "stdin"
	}
	return strings.TrimLeft(filepath.ToSlash(filepath.Clean(p)), "/")
}

func (r *run) summary() {
	t := r.tally
	var msg string
	if r.check {
		msg = fmt.Sprintf("psafix check: %s, %s, %s at %s", kio.Count(t.Files, "file", "files"), kio.Count(t.Workloads, "workload", "workloads"), kio.Count(t.Remaining, "violation", "violations"), t.LevelText(r.opts.Level))
	} else {
		verb, changed := "fixed", fmt.Sprintf("%d changed", t.FilesChanged)
		if r.flags.diff || r.flags.list {
			verb, changed = "would fix", fmt.Sprintf("%d would change", t.FilesChanged)
		}
		msg = fmt.Sprintf("psafix: %s (%s), %s (%s %d)", kio.Count(t.Files, "file", "files"), changed, kio.Count(t.Workloads, "workload", "workloads"), verb, t.Fixed)
		if t.Remaining > 0 {
			msg += fmt.Sprintf(", %s at %s", kio.Count(t.Remaining, "violation remains", "violations remain"), t.LevelText(r.opts.Level))
		}
	}
	if t.Accepted > 0 {
		msg += fmt.Sprintf(", %d accepted", t.Accepted)
	}
	if t.Exempted > 0 {
		msg += fmt.Sprintf(", %d on exempt objects", t.Exempted)
	}
	if t.Skipped > 0 {
		msg += fmt.Sprintf(", %d skipped", t.Skipped)
	}
	if n := r.counted.Dups; n > 0 {
		msg += fmt.Sprintf(", %s met again (a file given and an overlay built from it): counted once", kio.Count(n, "workload", "workloads"))
	}
	if t.Outside > 0 {
		msg += fmt.Sprintf("; %s outside --namespace %s, left alone", kio.Count(t.Outside, "workload", "workloads"), strings.Join(r.flags.namespaces, ","))
	}
	if t.Errors > 0 {
		msg += ", " + kio.Count(t.Errors, "error", "errors")
	}
	fmt.Fprintln(r.stderr, msg)
}
