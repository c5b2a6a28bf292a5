package fixers

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// TestUpstreamConformance checks psafix against the project's acceptance criterion, over
// the upstream fixtures of k8s.io/pod-security-admission (see psa_test.go): run with
// --level L --version v1.N (L and N those of the fixture's folder) and --skip
// read-only-root,
//
//   - every fail case whose failing checks are all fixable passes at L/v1.N after the fix,
//     by our Evaluator and by the library's own evaluator, and nothing remains reported;
//   - every other fail case is reported with the PSA check ID of each check psafix cannot
//     fix (and the checks it can fix are fixed: what remains is exactly what cannot be);
//   - every pass case is left byte-identical (Result.New == nil) and nothing is reported;
//
// and on every case: no file error, no psafix bug report, the fix is idempotent (fixing the
// output changes nothing), a fix never adds a violation, and Remaining lists exactly the
// checks the output still fails.
//
// A fail case is fixable when every check it fails before the fix (by our Evaluator, at
// L/v1.N) is in the Checks of an enabled fixer and is not one of the cases that fixer
// leaves alone by design (unfixableChecks below), which are:
//
//   - allowPrivilegeEscalation on a container that is privileged (or adds SYS_ADMIN while
//     the capabilities fixer is off): the API server rejects allowPrivilegeEscalation:
//     false next to either, so no-privilege-escalation skips the container. Upstream's
//     restricted privileged0/1 cases fail this way (they are also unfixable because of
//     the privileged check, which no fixer answers).
//   - capabilities_baseline/capabilities_restricted caused by an added capability, in a
//     pod that also fails a check no enabled fixer answers: the capabilities fixer does
//     not remove capabilities from a pod that stays non-compliant anyway (Pod.Unfixable).
//     No upstream case combines these today.
//   - checks answered by seccomp, capabilities, no-privilege-escalation and the runAsUser
//     part of run-as-non-root, on a Windows pod (spec.os.name: windows): those fixers add
//     no Linux-only field there. Upstream has no failing Windows pod today.
//
// Cases psafix gets wrong today are listed in knownFailures with a diagnosis: the test
// skips them, and fails when one of them starts to pass, so that the list stays true.
//
// The test runs twice: with --fix-explicit-root --remove-capabilities ("opt-in"), where every
// fixable case must be fixed, and with the defaults ("default"), where a case whose pod runs
// as root by its own setting or keeps an added capability is declined: its risky checks stay,
// and the pod gets the note that says why.
func TestUpstreamConformance(t *testing.T) {
	fixtures := loadUpstreamFixtures(t)
	lib := newLibraryEvaluator(t)
	for _, optIn := range []bool{true, false} {
		name := "default"
		if optIn {
			name = "opt-in"
		}
		t.Run(name, func(t *testing.T) { testConformance(t, fixtures, lib, optIn) })
	}
}

func testConformance(t *testing.T, fixtures []*upstreamFixture, lib policy.Evaluator, optIn bool) {
	start := time.Now()
	ev := NewEvaluator()
	set, err := Select(nil, []string{"read-only-root"})
	if err != nil {
		t.Fatal(err)
	}

	// One engine per level and version, as one psafix run would use.
	type group struct {
		level api.Level
		minor int
	}
	engines := map[group]*Engine{}
	engine := func(f *upstreamFixture) *Engine {
		g := group{f.Level, f.Minor}
		if engines[g] == nil {
			uid := int64(DefaultRunAsUser)
			engines[g] = NewEngine(&Options{
				Level:         f.Level,
				Version:       api.MajorMinorVersion(1, f.Minor),
				Fixers:        set,
				RunAsUser:     &uid,
				WritablePaths: []string{"/tmp"},
				ReadOnlyRoot:  ReadOnlyRootOff,
				// The opt-ins make every fixable case fixable.
				FixExplicitRoot:    optIn,
				RemoveCapabilities: optIn,
			})
		}
		return engines[g]
	}

	// Run every case first, then report through subtests. On a full run only the cases
	// with something to say get a subtest, so that -v stays readable; when -run selects
	// subtests (TestUpstreamConformance/restricted/v1.25/fail/runasnonroot0.yaml), every
	// case gets one.
	type tally struct{ fixed, reported, identical, known int }
	perLevel := map[api.Level]*tally{}
	for _, level := range fixtureLevels {
		perLevel[level] = &tally{}
	}
	var total tally
	fixedByCheck := map[policy.CheckID]int{}
	cases := map[group]int{}
	full := isFullRun()
	type shown struct {
		f   *upstreamFixture
		out caseOutcome
	}
	var show []shown
	for _, f := range fixtures {
		cases[group{f.Level, f.Minor}]++
		out := runConformanceCase(engine(f), ev, lib, f)
		_, known := knownFailures[f.Name()]
		c := perLevel[f.Level]
		switch {
		case known && len(out.problems) > 0:
			c.known++
			total.known++
		case len(out.problems) > 0:
		case out.class == classFixed:
			c.fixed++
			total.fixed++
			for _, id := range out.before {
				fixedByCheck[id]++
			}
		case out.class == classReported:
			c.reported++
			total.reported++
		case out.class == classIdentical:
			c.identical++
			total.identical++
		}
		if !full || (len(out.problems) > 0) != known {
			show = append(show, shown{f, out})
		}
	}
	for _, level := range fixtureLevels {
		for m := minFixtureMinor; m <= maxFixtureMinor; m++ {
			if cases[group{level, m}] == 0 {
				t.Errorf("no cases for %s/v1.%d", level, m)
			}
		}
	}

	// Subtests, nested level/version/verdict/file. The cases are grouped beforehand: a
	// subtest that -run filters out never runs its function.
	type node struct {
		name     string
		children []*node
		sc       *shown
	}
	root := &node{}
	child := func(n *node, name string) *node {
		if k := len(n.children); k > 0 && n.children[k-1].name == name {
			return n.children[k-1]
		}
		c := &node{name: name}
		n.children = append(n.children, c)
		return c
	}
	for i := range show {
		f := show[i].f
		v := child(child(child(root, string(f.Level)), fmt.Sprintf("v1.%d", f.Minor)), f.Verdict)
		v.children = append(v.children, &node{name: f.File, sc: &show[i]})
	}
	var run func(t *testing.T, n *node)
	run = func(t *testing.T, n *node) {
		for _, c := range n.children {
			t.Run(c.name, func(t *testing.T) {
				if c.sc != nil {
					reportConformanceCase(t, c.sc.f, c.sc.out)
					return
				}
				run(t, c)
			})
		}
	}
	run(t, root)

	if full {
		names := map[string]bool{}
		for _, f := range fixtures {
			names[f.Name()] = true
		}
		for name := range knownFailures {
			if !names[name] {
				t.Errorf("knownFailures lists %s, which is not an upstream case", name)
			}
		}
	}

	for _, level := range fixtureLevels {
		c := perLevel[level]
		t.Logf("%-10s %4d fail cases fixed, %4d reported, %4d pass cases identical, %3d known failures skipped", level, c.fixed, c.reported, c.identical, c.known)
	}
	t.Logf("%-10s %4d fail cases fixed, %4d reported, %4d pass cases identical, %3d known failures skipped (%d files, %s)", "total", total.fixed, total.reported, total.identical, total.known, len(fixtures), time.Since(start).Round(time.Millisecond))

	// Non-vacuity: the fixed cases are a large share, at both levels, and every check a
	// fixer answers is fixed somewhere in the corpus.
	if t.Failed() {
		return
	}
	if n := total.fixed + total.reported + total.identical + total.known; n != len(fixtures) {
		t.Errorf("counted %d cases, want %d", n, len(fixtures))
	}
	for _, level := range fixtureLevels {
		if c := perLevel[level]; optIn && c.fixed < minFixed[level] {
			t.Errorf("%s: only %d fail cases fixed, want at least %d", level, c.fixed, minFixed[level])
		}
	}
	var unfixed []string
	for _, f := range All {
		if !set[f.ID] {
			continue
		}
		for _, id := range f.Checks {
			if fixedByCheck[id] == 0 {
				unfixed = append(unfixed, fmt.Sprintf("%s (%s)", id, f.ID))
			}
		}
	}
	if len(unfixed) > 0 && optIn {
		t.Errorf("no upstream case was fixed for these answered checks: %v", unfixed)
	}
}

// reportConformanceCase turns a case's outcome into the subtest's verdict.
func reportConformanceCase(t *testing.T, f *upstreamFixture, out caseOutcome) {
	name := f.Name()
	if why, ok := knownFailures[name]; ok {
		if len(out.problems) == 0 {
			t.Errorf("%s is listed in knownFailures (%s) but now conforms: remove it from the list", name, why)
			return
		}
		t.Skipf("known failure: %s\n%s", why, strings.Join(out.problems, "\n"))
	}
	for _, p := range out.problems {
		t.Errorf("%s: %s", name, p)
	}
}

// minFixed are floors under the fixed counts measured with library v0.37.2 (baseline 418,
// restricted 900): below them, but far above zero.
var minFixed = map[api.Level]int{
	api.LevelBaseline:   350,
	api.LevelRestricted: 750,
}

// isFullRun reports whether every subtest runs: no -run pattern naming subtests, no -skip.
func isFullRun() bool {
	flagValue := func(name string) string {
		if f := flag.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	return !strings.Contains(flagValue("test.run"), "/") && flagValue("test.skip") == ""
}

type caseClass int

const (
	classFixed caseClass = iota
	classReported
	classIdentical
)

type caseOutcome struct {
	class    caseClass
	before   []policy.CheckID
	problems []string
}

func runConformanceCase(eng *Engine, ev *Evaluator, lib policy.Evaluator, f *upstreamFixture) caseOutcome {
	var out caseOutcome
	bad := func(format string, args ...any) { out.problems = append(out.problems, fmt.Sprintf(format, args...)) }
	lv := f.LV()

	res := eng.FixFile(f.Name(), f.Data)
	if res.Err != nil {
		bad("FixFile error: %v", res.Err)
		return out
	}
	for _, b := range res.Bugs {
		bad("psafix bug report: %s", b)
	}
	if res.Workloads != 1 {
		bad("FixFile found %d workloads, want 1", res.Workloads)
	}

	// Upstream's verdicts are for pods as admission sees them: defaulted.
	fspec := f.Spec.DeepCopy()
	defaultPodSpec(fspec)
	before := ev.Evaluate(lv, f.Meta, fspec)
	for _, fd := range before {
		out.before = append(out.before, fd.ID)
	}
	final := f.Data
	if res.New != nil {
		final = res.New
	}
	meta, spec, err := decodeFixturePod(final)
	if err != nil {
		bad("the output does not decode as a Pod: %v\n%s", err, final)
		return out
	}
	defaultPodSpec(spec)
	after := ev.Evaluate(lv, meta, spec)
	afterIDs := confIDSet(after)
	libAllowed, libReasons := libraryVerdict(lib, lv, meta, spec)
	if libAllowed != (len(after) == 0) {
		bad("on the output, Evaluator says %v and the library says allowed=%v %v", evaluatorReasons(after), libAllowed, libReasons)
	}
	beforeIDs := confIDSet(before)
	for id := range afterIDs {
		if !beforeIDs[id] {
			bad("the fix introduced a %s violation", id)
		}
	}
	remainingIDs := map[policy.CheckID]bool{}
	for _, r := range res.Remaining {
		if r.Check == "" {
			bad("report without a check ID: %s", r)
			continue
		}
		remainingIDs[r.Check] = true
	}
	if got, want := confJoinIDs(remainingIDs), confJoinIDs(afterIDs); got != want {
		bad("Remaining reports checks [%s], the output fails [%s]", got, want)
	}
	if res.New != nil {
		again := eng.FixFile(f.Name(), res.New)
		switch {
		case again.Err != nil:
			bad("fixing the output: %v", again.Err)
		case len(again.Bugs) > 0:
			bad("fixing the output: bug reports %v", again.Bugs)
		case again.New != nil:
			bad("not idempotent: fixing the output changes it again:\n--- first\n%s--- second\n%s", res.New, again.New)
		}
	}

	if f.Verdict == "pass" {
		out.class = classIdentical
		if res.New != nil {
			bad("a pass case was rewritten:\n%s", res.New)
		}
		if len(res.Remaining) > 0 {
			bad("a pass case is reported: %v", res.Remaining)
		}
		return out
	}

	if len(before) == 0 {
		bad("a fail case passes the Evaluator before any fix")
		return out
	}
	unfixable := unfixableChecks(eng.Opts, f.Spec, before)
	if len(unfixable) == 0 {
		out.class = classFixed
		if res.New == nil {
			bad("a fixable case (fails %v) was not changed", evaluatorReasons(before))
		}
		if len(after) > 0 || !libAllowed {
			bad("a fixable case still fails after the fix: Evaluator %v, library %v\n%s", evaluatorReasons(after), libReasons, final)
		}
		return out
	}
	out.class = classReported
	if declined(unfixable) && !hasDeclineNote(res) {
		bad("risky checks were left without the note that says why: %v", res.Notes)
	}
	for id, why := range unfixable {
		if !remainingIDs[id] {
			bad("%s (%s) is not reported in Remaining: %v", id, why, res.Remaining)
		}
	}
	if got, want := confJoinIDs(afterIDs), confJoinIDs(confKeys(unfixable)); got != want {
		bad("after the fix the case fails [%s], want exactly the unfixable checks [%s] (before: %v)\n%s", got, want, evaluatorReasons(before), final)
	}
	return out
}

// unfixableChecks returns the failing checks psafix cannot fix with eng's options, each with
// the reason; see TestUpstreamConformance.
func unfixableChecks(opts *Options, spec *corev1.PodSpec, failing []Finding) map[policy.CheckID]string {
	answeredBy := map[policy.CheckID]string{}
	for _, f := range All {
		if !opts.Fixers[f.ID] {
			continue
		}
		for _, id := range f.Checks {
			answeredBy[id] = f.ID
		}
	}
	out := map[policy.CheckID]string{}
	for _, fd := range failing {
		if answeredBy[fd.ID] == "" {
			out[fd.ID] = "no enabled fixer answers it"
		}
	}
	windows := spec.OS != nil && spec.OS.Name == corev1.Windows
	containers := confContainers(spec)
	fails := confIDSet(failing)
	// blocked: why the pod cannot pass whatever psafix does, so that the risky edits are not
	// made (an unfixable check, and by default an explicit root setting or a kept capability).
	blocked := ""
	if len(out) > 0 {
		blocked = "the pod stays non-compliant"
	}
	if !opts.FixExplicitRoot && !windows && (fails["runAsNonRoot"] || fails["runAsUser"]) {
		psc := spec.SecurityContext
		for _, c := range containers {
			var uid *int64
			var nonRoot *bool
			if psc != nil {
				uid, nonRoot = psc.RunAsUser, psc.RunAsNonRoot
			}
			if s := c.SecurityContext; s != nil && s.RunAsUser != nil {
				uid = s.RunAsUser
			}
			if s := c.SecurityContext; s != nil && s.RunAsNonRoot != nil {
				nonRoot = s.RunAsNonRoot
			}
			img, _ := LookupImage(c.Image, opts.Images)
			if (uid != nil && *uid == 0) || (uid == nil && nonRoot != nil && !*nonRoot && img.UID == 0) {
				blocked = "container " + c.Name + " runs as root by its own setting"
			}
		}
	}
	if !opts.RemoveCapabilities && (fails["capabilities_baseline"] || fails["capabilities_restricted"]) {
		for _, c := range containers {
			if s := c.SecurityContext; s != nil && s.Capabilities != nil {
				for _, a := range s.Capabilities.Add {
					allowed := baselineCapabilities[string(a)]
					if fails["capabilities_restricted"] {
						allowed = a == "NET_BIND_SERVICE"
					}
					if !allowed {
						blocked = "container " + c.Name + " keeps capability " + string(a)
					}
				}
			}
		}
	}
	for _, fd := range failing {
		if _, ok := out[fd.ID]; ok {
			continue
		}
		fixer := answeredBy[fd.ID]
		if windows && (fixer == "seccomp" || fixer == "capabilities" || fixer == "no-privilege-escalation" || fd.ID == "runAsUser") {
			out[fd.ID] = "Windows pod: " + fixer + " adds no Linux-only field"
			continue
		}
		switch fd.ID {
		case "allowPrivilegeEscalation":
			for _, c := range containers {
				s := c.SecurityContext
				if s == nil || (s.AllowPrivilegeEscalation != nil && !*s.AllowPrivilegeEscalation) {
					continue
				}
				if s.Privileged != nil && *s.Privileged {
					out[fd.ID] = "container " + c.Name + " is privileged"
				}
				if s.Capabilities != nil && (blocked != "" || !opts.RemoveCapabilities) && (confHasCap(s.Capabilities.Add, "SYS_ADMIN") || confHasCap(s.Capabilities.Add, "CAP_SYS_ADMIN")) {
					out[fd.ID] = "container " + c.Name + " keeps SYS_ADMIN"
				}
				if blocked != "" && s.AllowPrivilegeEscalation != nil {
					out[fd.ID] = declinedPrefix + blocked + ": container " + c.Name + "'s explicit true is kept"
				}
			}
		case "capabilities_baseline", "capabilities_restricted", "runAsNonRoot", "runAsUser":
			if blocked != "" {
				out[fd.ID] = declinedPrefix + blocked
			}
		case "seccompProfile_baseline", "seccompProfile_restricted":
			if blocked != "" && confUnconfined(spec) {
				out[fd.ID] = declinedPrefix + blocked + ": an explicit Unconfined is kept"
			}
		}
	}
	return out
}

const declinedPrefix = "risky edit declined: "

// declined reports whether some remaining checks are risky edits psafix declined.
func declined(m map[policy.CheckID]string) bool {
	for _, why := range m {
		if strings.HasPrefix(why, declinedPrefix) {
			return true
		}
	}
	return false
}

func hasDeclineNote(res *Result) bool {
	for _, n := range res.Notes {
		if strings.Contains(n.Message, "only safe edits made") {
			return true
		}
	}
	return false
}

// confUnconfined reports whether the pod sets an Unconfined seccomp profile explicitly.
func confUnconfined(spec *corev1.PodSpec) bool {
	if s := spec.SecurityContext; s != nil && s.SeccompProfile != nil && s.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
		return true
	}
	for _, c := range confContainers(spec) {
		if s := c.SecurityContext; s != nil && s.SeccompProfile != nil && s.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
			return true
		}
	}
	return false
}

func confContainers(spec *corev1.PodSpec) []corev1.Container {
	var cs []corev1.Container
	cs = append(cs, spec.InitContainers...)
	cs = append(cs, spec.Containers...)
	for _, e := range spec.EphemeralContainers {
		cs = append(cs, corev1.Container(e.EphemeralContainerCommon))
	}
	return cs
}

func confHasCap(caps []corev1.Capability, c string) bool {
	for _, x := range caps {
		if string(x) == c {
			return true
		}
	}
	return false
}

func confIDSet(fs []Finding) map[policy.CheckID]bool {
	out := map[policy.CheckID]bool{}
	for _, f := range fs {
		out[f.ID] = true
	}
	return out
}

func confKeys(m map[policy.CheckID]string) map[policy.CheckID]bool {
	out := map[policy.CheckID]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func confJoinIDs(m map[policy.CheckID]bool) string {
	var ids []string
	for id := range m {
		ids = append(ids, string(id))
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// knownFailures are upstream cases psafix gets wrong today, with the diagnosis. The test
// skips them and fails once one conforms, so that the entry is removed. Keys are subtest
// names (level/version/verdict/file).
var knownFailures = func() map[string]string {
	m := map[string]string{}
	return m
}()
