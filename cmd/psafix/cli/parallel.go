package cli

import "sync"

// maxInFlight bounds the bytes of the files read and not yet emitted (streamed files aside,
// which hold one part at a time): what a file costs in memory grows with its size, not with
// the number of files, so a tree of a few large files must not have them all in flight.
const maxInFlight = 4 << 20

// process runs work on the inputs, at most jobs at once, then finish (the I/O-bound tail of
// a file's processing: writing it, which waits for the disk) outside that limit, so that a
// worker waiting for the disk does not hold a CPU's worth of work back. Results go to emit in
// input order. At most 4×jobs files, and about maxInFlight bytes of them, are in flight, so
// memory is bounded by the worker count and the largest file, never by the size of the tree.
// A streamed input (a large file fixed and emitted part by part) waits for its turn: it runs
// only once every input before it is emitted, and emits its parts itself (see work), while
// emit waits for it.
func process[T any](inputs []input, jobs int, work func(input) T, finish func(T), emit func(T)) {
	if jobs < 1 {
		jobs = 1
	}
	cpu := make(chan struct{}, jobs)
	slots := make(chan struct{}, 4*jobs)
	results := make([]chan T, len(inputs))
	turns := make([]chan struct{}, len(inputs))
	for i := range results {
		results[i] = make(chan T, 1)
		turns[i] = make(chan struct{})
	}
	bytes := newBudget(maxInFlight)
	go func() {
		for i, in := range inputs {
			slots <- struct{}{}
			if !in.stream {
				bytes.acquire(in.size)
			}
			go func() {
				if in.stream {
					<-turns[i]
				}
				cpu <- struct{}{}
				t := work(in)
				<-cpu
				if finish != nil {
					finish(t)
				}
				results[i] <- t
			}()
		}
	}()
	for i, in := range inputs {
		close(turns[i])
		emit(<-results[i])
		if !in.stream {
			bytes.release(in.size)
		}
		<-slots
	}
}

// budget is a counting semaphore of bytes; a request larger than the whole budget takes all
// of it.
type budget struct {
	mu         sync.Mutex
	cond       *sync.Cond
	used, size int64
}

func newBudget(size int64) *budget {
	b := &budget{size: size}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *budget) acquire(n int64) {
	n = min(n, b.size)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 && b.used+n > b.size {
		b.cond.Wait()
	}
	b.used += n
}

func (b *budget) release(n int64) {
	n = min(n, b.size)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	b.cond.Broadcast()
}
