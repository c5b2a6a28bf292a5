package kio_test

import (
	"strconv"
	"testing"

	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// The benchmarks below run only with -bench (make bench); each reports docs/s and MB/s so
// that benchstat compares runs.

const benchSeed = 1

// reportDocs reports documents per second over the benchmark's timed part.
func reportDocs(b *testing.B, docs int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(docs)/s, "docs/s")
	}
}

func BenchmarkSplit(b *testing.B) {
	for _, per := range []int{1, 10, 100} {
		b.Run(docsName(per), func(b *testing.B) {
			file := kiotest.File(0, per, benchSeed)
			b.SetBytes(int64(len(file)))
			docs := 0
			for b.Loop() {
				docs += len(kio.Split(file))
			}
			reportDocs(b, docs)
		})
	}
}

func BenchmarkParseDocument(b *testing.B) {
	b.Run("deployment", func(b *testing.B) {
		srcs := sources(100)
		var size int64
		for _, s := range srcs {
			size += int64(len(s.Data))
		}
		b.SetBytes(size / int64(len(srcs)))
		i := 0
		for b.Loop() {
			s := srcs[i%len(srcs)]
			if _, err := kio.ParseDocument(s, kio.Segment{Start: 0, End: len(s.Data), Line: 1}, 0); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportDocs(b, i)
	})
}

// BenchmarkEdit times the editor on one parsed document: what the fixers record for a pod
// (pod securityContext, each container's securityContext, a volume and its mounts), then
// Edits and Apply. Parsing is not timed.
func BenchmarkEdit(b *testing.B) {
	b.Run("deployment", func(b *testing.B) {
		srcs := sources(100)
		docs := make([]*kio.Document, len(srcs))
		for i, s := range srcs {
			d, err := kio.ParseDocument(s, kio.Segment{Start: 0, End: len(s.Data), Line: 1}, 0)
			if err != nil {
				b.Fatal(err)
			}
			if len(kio.FindWorkloads(d)) != 1 {
				b.Fatalf("document %d: want one workload", i)
			}
			docs[i] = d
		}
		var size int64
		for _, s := range srcs {
			size += int64(len(s.Data))
		}
		b.SetBytes(size / int64(len(srcs)))
		i := 0
		for b.Loop() {
			d := docs[i%len(docs)]
			w := kio.FindWorkloads(d)[0]
			ed := kio.NewEditor(d)
			ed.Set(w.Spec, []string{"securityContext", "runAsNonRoot"}, kio.Bool(true))
			ed.Set(w.Spec, []string{"securityContext", "seccompProfile"}, kio.M("type", kio.Str("RuntimeDefault")))
			for _, field := range kio.ContainerFields {
				for _, c := range kio.Containers(w.Spec, field) {
					ed.Set(c, []string{"securityContext", "allowPrivilegeEscalation"}, kio.Bool(false))
					ed.Append(c, []string{"securityContext", "capabilities", "drop"}, kio.Str("ALL"))
					ed.Append(c, []string{"volumeMounts"}, kio.M("name", kio.Str("scratch"), "mountPath", kio.Str("/scratch")))
				}
			}
			ed.Append(w.Spec, []string{"volumes"}, kio.M("name", kio.Str("scratch"), "emptyDir", kio.M()))
			edits, err := ed.Edits()
			if err != nil {
				b.Fatal(err)
			}
			if out := kio.Apply(d.Src.Data, edits); len(out) <= len(d.Src.Data) {
				b.Fatal("nothing added")
			}
			i++
		}
		reportDocs(b, i)
	})
}

func sources(n int) []*kio.Source {
	var out []*kio.Source
	for _, d := range kiotest.Deployments(n, benchSeed) {
		out = append(out, kio.NewSource(d))
	}
	return out
}

func docsName(n int) string {
	if n == 1 {
		return "1doc"
	}
	return strconv.Itoa(n) + "docs"
}
