package fixers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The upstream fixtures of k8s.io/pod-security-admission (test/testdata in the module, as
// go.mod pins it) are the reference for both the evaluator and the fixers: for each level
// and version v1.0..v1.37 they hold pods that pass and pods that fail, one check at a time.

const (
	minFixtureMinor = 0
	maxFixtureMinor = 37
)

var fixtureLevels = []api.Level{api.LevelBaseline, api.LevelRestricted}

// upstreamFixture is one file of test/testdata/<level>/v1.<minor>/<verdict>/<file>.
type upstreamFixture struct {
	Level   api.Level
	Minor   int
	Verdict string // "pass" or "fail"
	File    string
	Data    []byte
	Meta    *metav1.ObjectMeta
	Spec    *corev1.PodSpec
}

// Name is the fixture's path under testdata, which names its subtest.
func (f *upstreamFixture) Name() string {
	return fmt.Sprintf("%s/v1.%d/%s/%s", f.Level, f.Minor, f.Verdict, f.File)
}

func (f *upstreamFixture) LV() api.LevelVersion {
	return api.LevelVersion{Level: f.Level, Version: api.MajorMinorVersion(1, f.Minor)}
}

var (
	fixturesOnce sync.Once
	fixturesAll  []*upstreamFixture
	fixturesErr  error
	fixturesSkip string
)

// loadUpstreamFixtures finds the module's directory with the go command and reads every
// fixture once per test binary. It skips the test when the module is not available.
func loadUpstreamFixtures(t *testing.T) []*upstreamFixture {
	t.Helper()
	fixturesOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/pod-security-admission").Output()
		dir := strings.TrimSpace(string(out))
		if err != nil || dir == "" {
			fixturesSkip = fmt.Sprintf("cannot locate k8s.io/pod-security-admission (go list -m: %v)", err)
			return
		}
		root := filepath.Join(dir, "test", "testdata")
		if _, err := os.Stat(root); err != nil {
			fixturesSkip = fmt.Sprintf("no upstream fixtures: %v", err)
			return
		}
		fixturesAll, fixturesErr = readUpstreamFixtures(root)
	})
	if fixturesSkip != "" {
		t.Skip(fixturesSkip)
	}
	if fixturesErr != nil {
		t.Fatal(fixturesErr)
	}
	return fixturesAll
}

func readUpstreamFixtures(root string) ([]*upstreamFixture, error) {
	var all []*upstreamFixture
	for _, level := range fixtureLevels {
		// Every version directory must be one we expect: a newer library with v1.38
		// fixtures should make this test (and maxFixtureMinor) be revisited.
		entries, err := os.ReadDir(filepath.Join(root, string(level)))
		if err != nil {
			return nil, err
		}
		want := map[string]bool{}
		for m := minFixtureMinor; m <= maxFixtureMinor; m++ {
			want[fmt.Sprintf("v1.%d", m)] = true
		}
		for _, e := range entries {
			if !want[e.Name()] {
				return nil, fmt.Errorf("unexpected fixture directory %s/%s: update maxFixtureMinor", level, e.Name())
			}
			delete(want, e.Name())
		}
		if len(want) > 0 {
			return nil, fmt.Errorf("missing fixture directories under %s: %v", level, want)
		}
		for m := minFixtureMinor; m <= maxFixtureMinor; m++ {
			for _, verdict := range []string{"pass", "fail"} {
				dir := filepath.Join(root, string(level), fmt.Sprintf("v1.%d", m), verdict)
				files, err := os.ReadDir(dir)
				if err != nil {
					return nil, err
				}
				for _, fe := range files {
					if fe.IsDir() || !strings.HasSuffix(fe.Name(), ".yaml") {
						return nil, fmt.Errorf("unexpected fixture entry %s", filepath.Join(dir, fe.Name()))
					}
					data, err := os.ReadFile(filepath.Join(dir, fe.Name()))
					if err != nil {
						return nil, err
					}
					f := &upstreamFixture{Level: level, Minor: m, Verdict: verdict, File: fe.Name(), Data: data}
					if f.Meta, f.Spec, err = decodeFixturePod(data); err != nil {
						return nil, fmt.Errorf("%s: %v", f.Name(), err)
					}
					all = append(all, f)
				}
			}
		}
	}
	return all, nil
}

// decodeFixturePod decodes a fixture into the pod metadata and spec PSA checks. All
// upstream fixtures are single Pod documents (checked: 4537 files in v0.37.2); anything else
// is an error, so that a change upstream is noticed rather than skipped. Decoding is strict,
// so that no field of a fixture is silently dropped.
func decodeFixturePod(data []byte) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	// YAML to JSON through the YAML library psafix already depends on, then the API
	// types' own JSON decoding.
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, nil, err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, nil, err
	}
	if tm.APIVersion != "v1" || tm.Kind != "Pod" {
		return nil, nil, fmt.Errorf("unsupported fixture kind %s/%s (only v1 Pod is handled)", tm.APIVersion, tm.Kind)
	}
	var pod corev1.Pod
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pod); err != nil {
		return nil, nil, err
	}
	return &pod.ObjectMeta, &pod.Spec, nil
}

// apiServerDefaults returns the spec as the API server's defaulting leaves it, as far as PSA
// is concerned: a volume with no source becomes an emptyDir (SetDefaults_Volume in
// k8s.io/kubernetes/pkg/apis/core/v1). Upstream's restricted/*/pass/restrictedvolumes0.yaml
// has such a volume ("implicit empty dir"): the library denies it as written (type
// "unknown") and allows it once defaulted, which is what an admission webhook sees.
func apiServerDefaults(spec *corev1.PodSpec) *corev1.PodSpec {
	out := spec.DeepCopy()
	for i := range out.Volumes {
		if out.Volumes[i].VolumeSource == (corev1.VolumeSource{}) {
			out.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	return out
}

func newLibraryEvaluator(t *testing.T) policy.Evaluator {
	t.Helper()
	lib, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// libraryVerdict is the official aggregate verdict and its forbidden reasons, each as
// "reason (detail)", sorted.
func libraryVerdict(lib policy.Evaluator, lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (bool, []string) {
	agg := policy.AggregateCheckResults(lib.EvaluatePod(lv, meta, spec))
	var reasons []string
	for i := range agg.ForbiddenReasons {
		reasons = append(reasons, joinReasonDetail(agg.ForbiddenReasons[i], agg.ForbiddenDetails[i]))
	}
	sort.Strings(reasons)
	return agg.Allowed, reasons
}

func evaluatorReasons(fs []Finding) []string {
	var reasons []string
	for _, f := range fs {
		reason := f.Reason
		if reason == "" {
			reason = policy.UnknownForbiddenReason
		}
		reasons = append(reasons, joinReasonDetail(reason, f.Detail))
	}
	sort.Strings(reasons)
	return reasons
}

func joinReasonDetail(reason, detail string) string {
	if detail == "" {
		return reason
	}
	return reason + " (" + detail + ")"
}

func fixtureVersions() []api.Version {
	var vs []api.Version
	for m := minFixtureMinor; m <= maxFixtureMinor; m++ {
		vs = append(vs, api.MajorMinorVersion(1, m))
	}
	return append(vs, api.LatestVersion())
}

// TestEvaluatorMatchesLibrary checks that our per-check Evaluator agrees with the library's
// own aggregate evaluator on every upstream fixture pod, at every level and every version
// (not only the fixture's own), latest included: same verdict, same forbidden reasons and
// details. It also checks each fixture's folder verdict at its own level and version, which
// catches a fixture that decodes wrongly.
func TestEvaluatorMatchesLibrary(t *testing.T) {
	fixtures := loadUpstreamFixtures(t)
	lib := newLibraryEvaluator(t)
	ev := NewEvaluator()

	// Folder verdicts, with both evaluators. Upstream runs its fixtures through an API
	// server, so they hold at that verdict once defaulted (see apiServerDefaults).
	for _, f := range fixtures {
		wantAllowed := f.Verdict == "pass"
		spec := apiServerDefaults(f.Spec)
		if got, reasons := libraryVerdict(lib, f.LV(), f.Meta, spec); got != wantAllowed {
			t.Errorf("%s: library allowed=%v at %s, want %v (%v)", f.Name(), got, f.LV(), wantAllowed, reasons)
		}
		if got := ev.Evaluate(f.LV(), f.Meta, spec); (len(got) == 0) != wantAllowed {
			t.Errorf("%s: Evaluator allowed=%v at %s, want %v (%v)", f.Name(), len(got) == 0, f.LV(), wantAllowed, evaluatorReasons(got))
		}
	}

	// Every distinct pod at every level and version.
	seen := map[string]*upstreamFixture{}
	var unique []*upstreamFixture
	for _, f := range fixtures {
		if _, ok := seen[string(f.Data)]; !ok {
			seen[string(f.Data)] = f
			unique = append(unique, f)
		}
	}
	evaluations, denied := 0, 0
	for _, level := range fixtureLevels {
		for _, v := range fixtureVersions() {
			lv := api.LevelVersion{Level: level, Version: v}
			for _, f := range unique {
				evaluations++
				wantAllowed, wantReasons := libraryVerdict(lib, lv, f.Meta, f.Spec)
				findings := ev.Evaluate(lv, f.Meta, f.Spec)
				gotReasons := evaluatorReasons(findings)
				if (len(findings) == 0) != wantAllowed {
					t.Errorf("%s at %s: Evaluator allowed=%v %v, library allowed=%v %v", f.Name(), lv, len(findings) == 0, gotReasons, wantAllowed, wantReasons)
					continue
				}
				if !wantAllowed {
					denied++
				}
				if strings.Join(gotReasons, "\n") != strings.Join(wantReasons, "\n") {
					t.Errorf("%s at %s: forbidden reasons differ:\n Evaluator: %q\n library:   %q", f.Name(), lv, gotReasons, wantReasons)
				}
				ids := map[policy.CheckID]bool{}
				for _, fd := range findings {
					if ids[fd.ID] {
						t.Errorf("%s at %s: check %s reported twice", f.Name(), lv, fd.ID)
					}
					ids[fd.ID] = true
				}
			}
		}
	}
	t.Logf("%d fixture files (%d distinct pods), %d evaluations at %d level-versions, %d denied", len(fixtures), len(unique), evaluations, len(fixtureLevels)*len(fixtureVersions()), denied)
	if denied == 0 || denied == evaluations {
		t.Errorf("degenerate comparison: %d of %d evaluations denied", denied, evaluations)
	}
}

// TestEvaluatorCheckIDs checks that CheckIDs lists exactly the library's checks.
func TestEvaluatorCheckIDs(t *testing.T) {
	var want []string
	for _, c := range policy.DefaultChecks() {
		want = append(want, string(c.ID))
	}
	sort.Strings(want)
	var got []string
	for _, id := range NewEvaluator().CheckIDs() {
		got = append(got, string(id))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("CheckIDs() = %v, want %v", got, want)
	}
}
