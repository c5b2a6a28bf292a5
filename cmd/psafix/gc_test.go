package main

import (
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		live uint64
		want int64
	}{
		{0, minHeap},
		{8 << 20, minHeap},           // a few files in flight: collect at 64 MiB
		{minHeap / 3, minHeap},       // just under a third: still the floor
		{minHeap/3 + 1, minHeap + 2}, // just over: three times it
		{30 << 20, 90 << 20},         // large files in flight: three times what is live
		{100 << 20, 164 << 20},       // a large file: at most 64 MiB more than what is live
		{math.MaxUint64, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := memoryLimit(tt.live); got != tt.want {
			t.Errorf("memoryLimit(%d) = %d, want %d", tt.live, got, tt.want)
		}
	}
}

func TestAfterEachGC(t *testing.T) {
	var n atomic.Int32
	afterEachGC(func() { n.Add(1) })
	for i := 0; i < 3; i++ {
		runtime.GC()
		// Finalizers run on their own goroutine, after the collection.
		deadline := time.Now().Add(5 * time.Second)
		for n.Load() <= int32(i) && time.Now().Before(deadline) {
			runtime.Gosched()
			time.Sleep(time.Millisecond)
		}
	}
	if got := n.Load(); got < 3 {
		t.Errorf("ran after %d of 3 collections", got)
	}
}
