package h264cuda

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// fakeEvent passes after a number of polls, or fails with err there.
type fakeEvent struct {
	left atomic.Int32
	err  error
}

func (f *fakeEvent) Done() (bool, error) {
	if f.left.Add(-1) > 0 {
		return false, nil
	}
	return f.err == nil, f.err
}

// TestEventPollerWakesEveryWaiter: many syncs wait on one poller at once,
// their events passing after different numbers of polls, one failing;
// each returns when its own event passed, with its own outcome, and the
// poller serves a second round after it went to sleep.
func TestEventPollerWakesEveryWaiter(t *testing.T) {
	p := &eventPoller{kick: make(chan struct{}, 1)}
	broken := errors.New("broken event")
	for round := 0; round < 2; round++ {
		const n = 40
		evs := make([]*fakeEvent, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range evs {
			evs[i] = &fakeEvent{}
			evs[i].left.Store(int32(1 + i%7*50))
			if i == 13 {
				evs[i].err = broken
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = p.wait(evs[i], make(chan error, 1))
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if want := evs[i].err; !errors.Is(err, want) || want == nil && err != nil {
				t.Errorf("round %d, waiter %d: %v, want %v", round, i, err, want)
			}
			if left := evs[i].left.Load(); left > 0 {
				t.Errorf("round %d, waiter %d returned with its event %d polls from passing", round, i, left)
			}
		}
	}
}
