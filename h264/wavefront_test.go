package h264

import (
	"sync"
	"testing"
)

// TestWavefrontOrder checks that every cell runs once, after its left and
// upper-right neighbours (and so after everything the stages read).
func TestWavefrontOrder(t *testing.T) {
	for _, sz := range [][3]int{{1, 1, 4}, {5, 1, 3}, {1, 7, 3}, {13, 9, 1}, {13, 9, 2}, {13, 9, 8}, {2, 30, 5}} {
		cols, rows, workers := sz[0], sz[1], sz[2]
		var mu sync.Mutex
		done := make([]bool, cols*rows)
		var wf wavefront
		err := wf.run(cols, rows, workers, func(w, x, y int) {
			mu.Lock()
			defer mu.Unlock()
			if done[y*cols+x] {
				t.Errorf("%v: (%d,%d) ran twice", sz, x, y)
			}
			if x > 0 && !done[y*cols+x-1] {
				t.Errorf("%v: (%d,%d) before its left neighbour", sz, x, y)
			}
			if y > 0 && !done[(y-1)*cols+min(x+1, cols-1)] {
				t.Errorf("%v: (%d,%d) before its upper-right neighbour", sz, x, y)
			}
			done[y*cols+x] = true
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range done {
			if !d {
				t.Fatalf("%v: cell %d never ran", sz, i)
			}
		}
	}
}

func TestRunRowsPanics(t *testing.T) {
	for _, workers := range []int{1, 4} {
		n := 0
		var mu sync.Mutex
		err := runRows(10, workers, func(w, r int) {
			mu.Lock()
			n++
			mu.Unlock()
			if r == 3 {
				panic(r)
			}
		})
		if _, ok := err.(*InternalError); !ok {
			t.Fatalf("workers %d: %v", workers, err)
		}
		if workers > 1 && n != 10 {
			t.Fatalf("rows after the panic did not run: %d", n)
		}
	}
}
