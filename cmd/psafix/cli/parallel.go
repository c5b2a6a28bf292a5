package cli

// process runs work on the inputs, at most jobs at once, then finish (the I/O-bound tail of
// a file's processing: writing it, which waits for the disk) outside that limit, so that a
// worker waiting for the disk does not hold a CPU's worth of work back. Results go to emit in
// input order. At most 4×jobs files are in flight, so memory is bounded by the largest files
// times the worker count, never by the size of the tree.
func process[T any](inputs []input, jobs int, work func(input) T, finish func(T), emit func(T)) {
	if jobs < 1 {
		jobs = 1
	}
	cpu := make(chan struct{}, jobs)
	slots := make(chan struct{}, 4*jobs)
	results := make([]chan T, len(inputs))
	for i := range results {
		results[i] = make(chan T, 1)
	}
	go func() {
		for i, in := range inputs {
			slots <- struct{}{}
			go func() {
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
	for i := range inputs {
		emit(<-results[i])
		<-slots
	}
}
