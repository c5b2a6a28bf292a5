package cli

// process runs work on up to jobs inputs at once and hands the results to emit in input
// order. At most jobs results wait to be emitted, so memory is bounded by the largest files
// times the worker count, never by the size of the tree.
func process[T any](inputs []input, jobs int, work func(input) T, emit func(T)) {
	if jobs < 1 {
		jobs = 1
	}
	slots := make(chan struct{}, jobs)
	results := make([]chan T, len(inputs))
	for i := range results {
		results[i] = make(chan T, 1)
	}
	go func() {
		for i, in := range inputs {
			slots <- struct{}{}
			go func() { results[i] <- work(in) }()
		}
	}()
	for i := range inputs {
		emit(<-results[i])
		<-slots
	}
}
