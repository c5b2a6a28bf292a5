package cli

import "github.com/psafix/psafix/fixers"

// process runs work on up to jobs inputs at once and hands the results to emit in input
// order. At most jobs results wait to be emitted, so memory is bounded by the largest files
// times the worker count, never by the size of the tree.
func process(inputs []input, jobs int, work func(input) *fixers.Result, emit func(*fixers.Result)) {
	if jobs < 1 {
		jobs = 1
	}
	slots := make(chan struct{}, jobs)
	results := make([]chan *fixers.Result, len(inputs))
	for i := range results {
		results[i] = make(chan *fixers.Result, 1)
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
