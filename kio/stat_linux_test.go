package kio

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"
)

// TestGroupSync: each caller returns only after a sync that started after it called, and
// concurrent callers share syncs.
func TestGroupSync(t *testing.T) {
	var mu sync.Mutex
	started := 0  // syncs started
	finished := 0 // syncs finished
	g := newGroupSync(func(*os.File) error {
		mu.Lock()
		started++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		finished++
		mu.Unlock()
		return nil
	})
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			mu.Lock()
			before := started // a sync started at or before this one may predate our data
			mu.Unlock()
			if err := g.sync(nil); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if finished <= before {
				t.Errorf("returned after %d syncs finished; %d had started before the call", finished, before)
			}
		})
	}
	wg.Wait()
	if started >= callers {
		t.Errorf("%d syncs for %d concurrent callers: none shared", started, callers)
	}
	t.Logf("%d syncs for %d callers", started, callers)
}

// TestGroupSyncError: a failed sync fails its callers, and a later one succeeds.
func TestGroupSyncError(t *testing.T) {
	fail := true
	g := newGroupSync(func(*os.File) error {
		if fail {
			return errors.New("EIO")
		}
		return nil
	})
	if err := g.sync(nil); err == nil {
		t.Error("the failed sync was not reported")
	}
	fail = false
	if err := g.sync(nil); err != nil {
		t.Errorf("err = %v after a good sync", err)
	}
}
