package fixers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/kio"
)

// TestSafetyOnCorpus measures issue 13's promises on the shared open corpus (PSAFIX_CORPUS),
// with a default run at restricted: no workload that still fails got a risky edit, no
// privileged container was made non-root or lost capabilities, every UID set on a pod with
// persistent volumes came with fsGroup, no explicit root setting was overwritten, no added
// capability was removed, no image known to need root was hardened, no Windows pod got a
// Linux-only field, read-only root was added to at most 5% of the containers, and every
// workload that the opt-in run makes pass also passes by default unless it was declined,
// mostly for an image that needs root, an explicit root setting or a kept capability.
//
// The torture files and the charts' own example manifests, written by others than the
// corpus, are held to the same promises.
func TestSafetyOnCorpus(t *testing.T) {
	shared := os.Getenv("PSAFIX_CORPUS")
	if shared == "" {
		t.Skip("PSAFIX_CORPUS is not set")
	}
	for _, dir := range []string{"corpus/open", "torture", "corpus/braces-valid-yaml"} {
		t.Run(dir, func(t *testing.T) { testSafetyOn(t, filepath.Join(shared, dir), dir == "corpus/open") })
	}
}

func testSafetyOn(t *testing.T, root string, full bool) {
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".json")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no corpus files")
	}
	def := DefaultOptions()
	optIn := DefaultOptions()
	optIn.FixExplicitRoot, optIn.RemoveCapabilities, optIn.ReadOnlyRoot = true, true, ReadOnlyRootAll
	engDef, engOpt := NewEngine(def), NewEngine(optIn)
	ev := NewEvaluator()
	lv := api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}
	target := Target{Level: api.LevelRestricted, Version: api.LatestVersion()}

	var st struct {
		workloads, containers, readOnlyAdded                         int
		failingRisky, privilegedHardened, uidNoFSGroup, explicitRoot int
		capsRemoved, rootImageHardened, windowsLinux                 int
		canPass, stillPass, declined, declinedOther, lost            int
		fsGroupSet                                                   int
	}
	byKind := map[BlockerKind]int{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rd, ro := engDef.FixFile(path, data), engOpt.FixFile(path, data)
		if rd.Err != nil {
			continue
		}
		before := corpusPods(data)
		after := before
		if rd.New != nil {
			after = corpusPods(rd.New)
		}
		opted := before
		if ro.New != nil {
			opted = corpusPods(ro.New)
		}
		if len(after) != len(before) || len(opted) != len(before) {
			t.Errorf("%s: workloads %d, %d after, %d after the opt-in run", path, len(before), len(after), len(opted))
			continue
		}
		for i, b := range before {
			a, o := after[i], opted[i]
			if b.spec == nil || a.spec == nil {
				continue
			}
			st.workloads++
			failsBefore := len(ev.Evaluate(lv, b.meta, b.spec)) > 0
			failsAfter := len(ev.Evaluate(lv, a.meta, a.spec)) > 0
			risky := false
			bcs, acs := corpusContainers(b.spec), corpusContainers(a.spec)
			windows := b.spec.OS != nil && b.spec.OS.Name == corev1.Windows
			podUID := changedUID(b.spec.SecurityContext, a.spec.SecurityContext)
			if podUID {
				risky = true
			}
			if fsGroupOf(b.spec) != fsGroupOf(a.spec) {
				risky = true
				st.fsGroupSet++
			}
			if len(a.spec.Volumes) != len(b.spec.Volumes) {
				risky = true
			}
			uidSet := podUID && a.spec.SecurityContext != nil && a.spec.SecurityContext.RunAsUser != nil
			for j := range bcs {
				st.containers++
				cb, ca := bcs[j], acs[j]
				sb, sa := cb.SecurityContext, ca.SecurityContext
				cRisky := false
				if changedUIDc(sb, sa) {
					cRisky = true
					if sa != nil && sa.RunAsUser != nil {
						uidSet = true
					}
				}
				if capsString(sb) != capsString(sa) {
					cRisky = true
					if addString(sb) != addString(sa) {
						st.capsRemoved++
					}
				}
				if rorf(sb) != rorf(sa) {
					cRisky = true
					st.readOnlyAdded++
				}
				if len(cb.VolumeMounts) != len(ca.VolumeMounts) {
					cRisky = true
				}
				if sb != nil && sb.AllowPrivilegeEscalation != nil && *sb.AllowPrivilegeEscalation && (sa.AllowPrivilegeEscalation == nil || !*sa.AllowPrivilegeEscalation) {
					cRisky = true
				}
				if sb != nil && sb.SeccompProfile != nil && (sa.SeccompProfile == nil || sa.SeccompProfile.Type != sb.SeccompProfile.Type) {
					cRisky = true
				}
				if explicitRoot(b.spec, sb) && (changedUIDc(sb, sa) || podUID) {
					st.explicitRoot++
					t.Logf("%s: %s container %s: explicit root overwritten", path, b.id, cb.Name)
				}
				privileged := sb != nil && sb.Privileged != nil && *sb.Privileged
				if privileged && (cRisky || podUID) {
					st.privilegedHardened++
					t.Logf("%s: %s: privileged container %s hardened", path, b.id, cb.Name)
				}
				if img, ok := LookupImage(cb.Image, nil); ok && img.NeedsRoot && (cRisky || podUID) {
					st.rootImageHardened++
					t.Logf("%s: %s: container %s (%s, needs root) hardened", path, b.id, cb.Name, cb.Image)
				}
				if windows && linuxFieldsAdded(sb, sa) {
					st.windowsLinux++
				}
				risky = risky || cRisky
			}
			if uidSet && b.persistent && a.spec.SecurityContext.FSGroup == nil {
				st.uidNoFSGroup++
				t.Logf("%s: %s: UID without fsGroup on a pod with persistent volumes", path, b.id)
			}
			if failsAfter && risky {
				st.failingRisky++
				t.Logf("%s: %s still fails restricted but got a risky edit", path, b.id)
			}
			if failsBefore && len(ev.Evaluate(lv, o.meta, o.spec)) == 0 {
				st.canPass++
				if !failsAfter {
					st.stillPass++
					continue
				}
				bs := Declines(def, b.w, b.meta, b.spec, target, ev.Evaluate(lv, b.meta, b.spec), nil)
				if len(bs) == 0 {
					st.lost++
					t.Logf("%s: %s passes with the opt-ins, fails by default, and was not declined", path, b.id)
					continue
				}
				st.declined++
				other := true
				seen := map[BlockerKind]bool{}
				for _, x := range bs {
					if !seen[x.Kind] {
						byKind[x.Kind]++
						seen[x.Kind] = true
					}
					switch x.Kind {
					case BlockRootImage, BlockExplicitRoot, BlockCapability:
						other = false
					}
				}
				if other {
					st.declinedOther++
				}
			}
		}
	}
	pct := 0.0
	if st.containers > 0 {
		pct = 100 * float64(st.readOnlyAdded) / float64(st.containers)
	}
	t.Logf("%s, default run: %d workloads, %d containers", filepath.Base(root), st.workloads, st.containers)
	t.Logf("still failing with a risky edit: %d; privileged containers hardened: %d; UIDs on persistent pods without fsGroup: %d (fsGroup set on %d); explicit root overwritten: %d; added capabilities removed: %d; root images hardened: %d; Windows pods with Linux fields: %d",
		st.failingRisky, st.privilegedHardened, st.uidNoFSGroup, st.fsGroupSet, st.explicitRoot, st.capsRemoved, st.rootImageHardened, st.windowsLinux)
	t.Logf("read-only root added to %d containers (%.1f%%)", st.readOnlyAdded, pct)
	t.Logf("workloads the opt-in run makes pass: %d; pass by default: %d; declined with a note: %d (image needs root %d, explicit root %d, kept capability %d, other reasons only %d); neither: %d",
		st.canPass, st.stillPass, st.declined, byKind[BlockRootImage], byKind[BlockExplicitRoot], byKind[BlockCapability], st.declinedOther, st.lost)
	for name, n := range map[string]int{"still failing with a risky edit": st.failingRisky, "privileged hardened": st.privilegedHardened,
		"UID without fsGroup": st.uidNoFSGroup, "explicit root overwritten": st.explicitRoot, "capability removed": st.capsRemoved,
		"root image hardened": st.rootImageHardened, "Windows Linux fields": st.windowsLinux, "passable neither passing nor declined": st.lost} {
		if n > 0 {
			t.Errorf("%s: %d", name, n)
		}
	}
	if pct > 5 && full {
		t.Errorf("read-only root on %.1f%% of the containers, want at most 5%%", pct)
	}
	if st.declinedOther*5 > st.declined {
		t.Errorf("%d of %d declines are for other reasons than root images, explicit root or capabilities: more than a fifth", st.declinedOther, st.declined)
	}
}

type corpusPod struct {
	id         string
	w          *kio.Workload
	meta       *metav1.ObjectMeta
	spec       *corev1.PodSpec
	persistent bool
}

// corpusPods decodes every workload of a file, in order.
func corpusPods(data []byte) []corpusPod {
	src := kio.NewSource(data)
	var out []corpusPod
	for i, seg := range kio.Split(src.Data) {
		d, err := kio.ParseDocument(src, seg, i)
		if err != nil {
			return nil
		}
		for _, w := range kio.FindWorkloads(d) {
			meta, spec, err := DecodePod(w)
			if err != nil {
				spec = nil
			}
			p := corpusPod{id: w.ID(), w: w, meta: meta, spec: spec}
			if spec != nil {
				pod := NewPod(w, meta, spec, nil, DefaultOptions())
				p.persistent = len(pod.persistentVolumes()) > 0
			}
			out = append(out, p)
		}
	}
	return out
}

func corpusContainers(s *corev1.PodSpec) []corev1.Container {
	var cs []corev1.Container
	cs = append(cs, s.InitContainers...)
	cs = append(cs, s.Containers...)
	for _, e := range s.EphemeralContainers {
		cs = append(cs, corev1.Container(e.EphemeralContainerCommon))
	}
	return cs
}

func changedUID(b, a *corev1.PodSecurityContext) bool {
	bu, au, bn, an := "-", "-", "-", "-"
	if b != nil {
		bu, bn = ptrStr(b.RunAsUser), boolStr(b.RunAsNonRoot)
	}
	if a != nil {
		au, an = ptrStr(a.RunAsUser), boolStr(a.RunAsNonRoot)
	}
	return bu != au || bn != an
}

func changedUIDc(b, a *corev1.SecurityContext) bool {
	bu, au, bn, an := "-", "-", "-", "-"
	if b != nil {
		bu, bn = ptrStr(b.RunAsUser), boolStr(b.RunAsNonRoot)
	}
	if a != nil {
		au, an = ptrStr(a.RunAsUser), boolStr(a.RunAsNonRoot)
	}
	return bu != au || bn != an
}

func ptrStr(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func boolStr(p *bool) string {
	if p == nil {
		return "-"
	}
	if *p {
		return "t"
	}
	return "f"
}

func fsGroupOf(s *corev1.PodSpec) string {
	if s.SecurityContext == nil {
		return "-"
	}
	return ptrStr(s.SecurityContext.FSGroup)
}

func capsString(s *corev1.SecurityContext) string {
	if s == nil || s.Capabilities == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range s.Capabilities.Drop {
		b.WriteString("-" + string(c))
	}
	return b.String() + "|" + addString(s)
}

func addString(s *corev1.SecurityContext) string {
	if s == nil || s.Capabilities == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range s.Capabilities.Add {
		b.WriteString("+" + string(c))
	}
	return b.String()
}

func rorf(s *corev1.SecurityContext) string {
	if s == nil {
		return "-"
	}
	return boolStr(s.ReadOnlyRootFilesystem)
}

// explicitRoot reports whether the author made the container root: runAsUser: 0, or
// runAsNonRoot: false with no non-zero runAsUser.
func explicitRoot(spec *corev1.PodSpec, s *corev1.SecurityContext) bool {
	var uid *int64
	var nonRoot *bool
	if p := spec.SecurityContext; p != nil {
		uid, nonRoot = p.RunAsUser, p.RunAsNonRoot
	}
	if s != nil && s.RunAsUser != nil {
		uid = s.RunAsUser
	}
	if s != nil && s.RunAsNonRoot != nil {
		nonRoot = s.RunAsNonRoot
	}
	return (uid != nil && *uid == 0) || (uid == nil && nonRoot != nil && !*nonRoot)
}

func linuxFieldsAdded(b, a *corev1.SecurityContext) bool {
	if a == nil {
		return false
	}
	if b == nil {
		b = &corev1.SecurityContext{}
	}
	return (b.SeccompProfile == nil && a.SeccompProfile != nil) || (b.Capabilities == nil && a.Capabilities != nil) ||
		(b.AllowPrivilegeEscalation == nil && a.AllowPrivilegeEscalation != nil) || (b.RunAsUser == nil && a.RunAsUser != nil) ||
		(b.ReadOnlyRootFilesystem == nil && a.ReadOnlyRootFilesystem != nil)
}
