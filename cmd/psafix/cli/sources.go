package cli

import (
	"github.com/psafix/psafix/chart"
	"github.com/psafix/psafix/diffview"
	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
)

// chartOptions are the rendering options the flags give a chart.
func (r *run) chartOptions() chart.Options {
	return chart.Options{Release: r.flags.release, Namespace: r.flags.namespace, ValuesFiles: r.flags.values}
}

// workChart renders a chart and checks it, or fixes it at the source: its outcome holds one
// sub-outcome per rendered template and per values file changed.
func (r *run) workChart(engine *fixers.Engine, in input) *outcome {
	var res *chart.Result
	if r.check || !(r.flags.write || r.flags.diff || r.flags.list) {
		res = chart.Check(in.path, r.chartOptions(), engine)
	} else {
		res = chart.Fix(in.path, r.chartOptions(), engine)
	}
	o := &outcome{chart: res}
	for _, fr := range res.Rendered {
		if r.flags.write || r.flags.diff || r.flags.list {
			// A rendering is never written: what changes is the values files below.
			fr.New = nil
		}
		o.sub = append(o.sub, &outcome{Result: fr, rendered: true})
	}
	for _, fr := range res.Values {
		s := &outcome{Result: fr, snap: kio.Snapshot{Data: fr.Old}}
		if snap, err := kio.ReadFile(fr.Path, r.flags.maxSize); err == nil {
			s.snap = snap
		}
		if r.flags.diff && fr.Changed() {
			s.diff = diffview.Unified(diffPath(fr.Path), diffPath(fr.Path), fr.Old, fr.New, 3)
		}
		o.sub = append(o.sub, s)
	}
	return o
}

// emitChart prints a chart's notes, or why it could not be rendered, then its outcomes.
func (r *run) emitChart(o *outcome) {
	res := o.chart
	for _, n := range res.Notes {
		r.report("notice", n)
	}
	if res.Err != nil {
		r.fail(res.Dir, 0, res.Dir+": "+res.Err.Error())
	}
	for _, s := range o.sub {
		r.emit(s)
	}
}
