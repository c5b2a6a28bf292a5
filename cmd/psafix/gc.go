package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minHeap is the memory psafix lets the runtime use before it collects.
const minHeap = 64 << 20

// tuneGC keeps the collector from running hundreds of times a run. What psafix keeps live is
// a few files per worker (a few MiB), and everything it allocates for a file dies with the
// file; with Go's default (collect when the heap doubles) the collector runs every few MiB of
// allocation and takes a large share of the time. So the collector runs only when the memory
// in use reaches a limit: minHeap, or three times the live heap when large files are in flight
// (the default rule's two times plus room to breathe) up to maxHeadroom above it, recomputed
// after every collection. A
// limit, rather than a larger GOGC, also makes the runtime reuse the same memory instead of
// growing and faulting in fresh pages: measured, it is the faster of the two. The peak stays
// bounded by the files in flight, never by the size of the tree. GOGC or GOMEMLIMIT, when
// set, win.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(minHeap)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	afterEachGC(func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimit(sample[0].Value.Uint64()))
		}
	})
}

// maxHeadroom caps what the heap may grow beyond the live heap before a collection: three
// times the live heap is cheap while it is small, but for a large file it would triple the
// peak (a 10 MiB file of small documents holds 100-190 MiB live while fixed or diffed, and
// must stay under 300 MiB resident; 64 MiB costs no measurable time on it).
const maxHeadroom = 64 << 20

// memoryLimit is the limit for a live heap of live bytes: max(minHeap, 3 × live), but at most
// live + maxHeadroom.
func memoryLimit(live uint64) int64 {
	if live > math.MaxInt64/3 {
		return math.MaxInt64
	}
	return max(minHeap, min(3*int64(live), int64(live)+maxHeadroom))
}

// afterEachGC runs f after every collection: f runs as the finalizer of an object that only
// the next collection finds unreachable, and arms the next one.
func afterEachGC(f func()) {
	// Larger than the tiny allocator's 16 bytes: a finalizer on a tiny object may never run.
	sentinel := new([32]byte)
	runtime.SetFinalizer(sentinel, func(*[32]byte) {
		f()
		afterEachGC(f)
	})
}
