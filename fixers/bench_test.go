package fixers_test

import (
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/kio/kiotest"
)

// The benchmarks below run only with -bench (make bench). They report docs/s and MB/s so
// that benchstat compares runs; BenchmarkPipelineRatio reports how many times slower the
// whole pipeline is than a bare yaml.v3 parse of the same files.

const (
	benchSeed   = 1
	docsPerFile = 10
)

func reportDocs(b *testing.B, docs int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(docs)/s, "docs/s")
	}
}

// cpuTime is the CPU time (user and system, every thread, the GC's included) the process
// has used: unlike wall time, it hardly moves when other programs share the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports documents per CPU second since start.
func reportCPU(b *testing.B, docs int, start time.Duration) {
	if d := cpuTime() - start; d > 0 {
		b.ReportMetric(float64(docs)/d.Seconds(), "docs/cpu-s")
	}
}

// BenchmarkFixFile fixes one single-document file: "changed" documents get a fix,
// "unchanged" ones already pass restricted.
func BenchmarkFixFile(b *testing.B) {
	engine := fixers.NewEngine(fixers.DefaultOptions())
	var changed, unchanged [][]byte
	for _, d := range kiotest.Deployments(200, benchSeed) {
		res := engine.FixFile("bench.yaml", d)
		if res.Err != nil || len(res.Bugs) > 0 {
			b.Fatalf("generated document does not fix cleanly: %v %v\n%s", res.Err, res.Bugs, d)
		}
		if res.Changed() {
			changed = append(changed, d)
		} else {
			unchanged = append(unchanged, d)
		}
	}
	for _, c := range []struct {
		name string
		docs [][]byte
	}{{"changed", changed}, {"unchanged", unchanged}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(avgSize(c.docs))
			i := 0
			for b.Loop() {
				engine.FixFile("bench.yaml", c.docs[i%len(c.docs)])
				i++
			}
			reportDocs(b, i)
		})
	}
}

// BenchmarkPipeline runs the engine over generated files of 10 Deployments, on GOMAXPROCS
// workers as the CLI does (files in memory: no disk), and floor-yaml.v3 parses the same
// documents with yaml.v3 alone on one goroutine: the least any YAML tool can do.
func BenchmarkPipeline(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			files := benchFiles(b, n)
			engine := fixers.NewEngine(fixers.DefaultOptions())
			b.SetBytes(totalSize(files))
			cpu := cpuTime()
			for b.Loop() {
				pipeline(engine, files)
			}
			reportDocs(b, n*b.N)
			reportCPU(b, n*b.N, cpu)
		})
	}
	b.Run("floor-yaml.v3", func(b *testing.B) {
		for _, n := range []int{1000, 10000} {
			b.Run(strconv.Itoa(n), func(b *testing.B) {
				files := benchFiles(b, n)
				docs := splitFiles(files)
				b.SetBytes(totalSize(files))
				cpu := cpuTime()
				for b.Loop() {
					floor(b, docs)
				}
				reportDocs(b, n*b.N)
				reportCPU(b, n*b.N, cpu)
			})
		}
	})
}

// BenchmarkPipelineRatio times the floor and the pipeline alternately on 10,000 documents,
// a few rounds each, and reports ratio: pipeline wall time / floor wall time (the target is
// at most 3). It also reports cpu-ratio, pipeline CPU time / floor CPU time, which other
// load on the machine hardly disturbs: on an idle machine, ratio is about cpu-ratio divided
// by the cores the pipeline keeps busy.
func BenchmarkPipelineRatio(b *testing.B) {
	b.Run("docs=10k", func(b *testing.B) {
		const n, rounds = 10000, 3
		files := benchFiles(b, n)
		docs := splitFiles(files)
		engine := fixers.NewEngine(fixers.DefaultOptions())
		pipeline(engine, files[:len(files)/10]) // warm up
		var tf, tp, cf, cp time.Duration
		for b.Loop() {
			for range rounds {
				runtime.GC()
				t0, c0 := time.Now(), cpuTime()
				floor(b, docs)
				t1, c1 := time.Now(), cpuTime()
				pipeline(engine, files)
				c2 := cpuTime()
				tf, tp = tf+t1.Sub(t0), tp+time.Since(t1)
				cf, cp = cf+c1-c0, cp+c2-c1
			}
		}
		b.ReportMetric(tp.Seconds()/tf.Seconds(), "ratio")
		b.ReportMetric(cp.Seconds()/cf.Seconds(), "cpu-ratio")
		b.ReportMetric(float64(n*rounds*b.N)/tf.Seconds(), "floor-docs/s")
		b.ReportMetric(float64(n*rounds*b.N)/tp.Seconds(), "psafix-docs/s")
	})
}

// pipeline fixes every file on GOMAXPROCS workers.
func pipeline(engine *fixers.Engine, files [][]byte) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				engine.FixFile("bench.yaml", files[i])
			}
		}()
	}
	wg.Wait()
}

// floor parses each document into a yaml.v3 node, on one goroutine.
func floor(b *testing.B, docs [][]byte) {
	for _, d := range docs {
		var n yaml.Node
		if err := yaml.Unmarshal(d, &n); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	filesMu    sync.Mutex
	filesCache = map[int][][]byte{}
)

// benchFiles returns n generated Deployments in files of 10, checked once to fix cleanly.
func benchFiles(b *testing.B, n int) [][]byte {
	filesMu.Lock()
	defer filesMu.Unlock()
	if f, ok := filesCache[n]; ok {
		return f
	}
	engine := fixers.NewEngine(fixers.DefaultOptions())
	files := make([][]byte, n/docsPerFile)
	for i := range files {
		files[i] = kiotest.File(i, docsPerFile, benchSeed)
		if i < 20 {
			res := engine.FixFile("bench.yaml", files[i])
			if res.Err != nil || len(res.Bugs) > 0 || res.Workloads != docsPerFile {
				b.Fatalf("generated file %d: err %v, bugs %v, %d workloads", i, res.Err, res.Bugs, res.Workloads)
			}
		}
	}
	filesCache[n] = files
	return files
}

// splitFiles cuts files into their documents' bytes, as the floor's input.
func splitFiles(files [][]byte) [][]byte {
	var docs [][]byte
	for _, f := range files {
		for _, s := range kio.Split(f) {
			if d := f[s.Start:s.End]; len(d) > 0 {
				docs = append(docs, d)
			}
		}
	}
	return docs
}

func totalSize(files [][]byte) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f))
	}
	return n
}

func avgSize(docs [][]byte) int64 { return totalSize(docs) / int64(len(docs)) }

// BenchmarkOneLineList fixes a JSON List of pods written on one line (as "jq -c" writes it)
// and its pretty-printed twin: time must grow with the input, so the one-line file may take
// at most a few times its twin (issue: position lookups once walked each line from its
// start, which made the one-line file quadratic).
func BenchmarkOneLineList(b *testing.B) {
	engine := fixers.NewEngine(fixers.DefaultOptions())
	for _, pods := range []int{250, 1000} {
		for _, c := range []struct{ name, indent string }{{"one-line", ""}, {"pretty", "  "}} {
			b.Run(c.name+"/"+strconv.Itoa(pods), func(b *testing.B) {
				data := kiotest.PodList(pods, c.indent)
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if res := engine.FixFile("list.json", data); res.Err != nil || !res.Changed() {
						b.Fatalf("the list does not fix: %v", res.Err)
					}
				}
				b.ReportMetric(float64(pods*b.N)/b.Elapsed().Seconds(), "pods/s")
			})
		}
	}
}
