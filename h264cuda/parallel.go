package h264cuda

import (
	"runtime"
	"sync"

	"github.com/gpuenc/gpuenc/h264"
)

// parallelMin is the number of macroblocks below which a parallel run
// stays on one goroutine.
const parallelMin = 512

// parallel runs a stage's host work (packing and staging records and
// planes, decoding the records downloaded, copying samples out) over n
// items in contiguous parts on GOMAXPROCS goroutines. work is set once (a
// method value, so that a run allocates nothing) and does items lo..hi-1.
type parallel struct {
	work func(lo, hi int) error
	errs []error
	wg   sync.WaitGroup
}

// run calls work over items 0..n-1 of size macroblocks each (1 for
// macroblocks, mbW for rows of them): on this goroutine when they hold
// fewer than 2·parallelMin macroblocks, else in one part per goroutine
// (at most GOMAXPROCS and maxHostThreads).
// The error is the first part's (the first bad item in order).
func (p *parallel) run(n, size int) error {
	workers := min(runtime.GOMAXPROCS(0), maxHostThreads, n*size/parallelMin, n)
	if workers <= 1 {
		return p.work(0, n)
	}
	if len(p.errs) < workers {
		p.errs = make([]error, workers)
	}
	p.wg.Add(workers)
	for w := 0; w < workers; w++ {
		go p.part(w, workers, n)
	}
	p.wg.Wait()
	for _, err := range p.errs[:workers] {
		if err != nil {
			return err
		}
	}
	return nil
}

// part is run's goroutine w of workers.
func (p *parallel) part(w, workers, n int) {
	defer p.wg.Done()
	p.errs[w] = p.work(w*n/workers, (w+1)*n/workers)
}

// planeStager copies planes into staging buffers (backend.host) with rows
// of their width, so that uploads run from page-locked memory, in parts
// on all cores for large planes. The zero value is ready to use.
type planeStager struct {
	dst   []byte
	p     *h264.Plane
	parts parallel // work: rows
	// owned, when not nil, are planes that lie in page-locked memory
	// already: stage returns them as they are.
	owned *ownedPlanes
}

// stage copies p's w×h samples into dst, even when p is already packed,
// and returns dst[:w·h]; a plane of owned it returns itself, so that the
// upload reads it when the stream gets there (the caller must not change
// it before a sync).
func (s *planeStager) stage(dst []byte, p *h264.Plane) []byte {
	if s.owned.has(p) {
		return p.Pix[:p.Width*p.Height]
	}
	if s.parts.work == nil {
		s.parts.work = s.rows
	}
	s.dst, s.p = dst, p
	// A row of w samples counts as w/256 macroblocks of work.
	_ = s.parts.run(p.Height, max(p.Width/256, 1)) // rows cannot fail
	s.dst, s.p = nil, nil
	return dst[:p.Width*p.Height]
}

// stageLazily is stage with a staging buffer made (be.host) or grown on
// first need into *buf, so that planes that are owned need none.
func (s *planeStager) stageLazily(be backend, buf *[]byte, p *h264.Plane) ([]byte, error) {
	if s.owned.has(p) {
		return p.Pix[:p.Width*p.Height], nil
	}
	if n := p.Width * p.Height; len(*buf) < n {
		b, err := be.host(n)
		if err != nil {
			return nil, err
		}
		*buf = b
	}
	return s.stage(*buf, p), nil
}

// rows copies rows lo..hi-1 of the plane being staged.
func (s *planeStager) rows(lo, hi int) error {
	p, w := s.p, s.p.Width
	for y := lo; y < hi; y++ {
		copy(s.dst[y*w:(y+1)*w], p.Pix[y*p.Stride:y*p.Stride+w])
	}
	return nil
}

// ownedPlanes are the planes of the pictures an Encoder allocated for its
// h264.Encoder (stages.AllocPicture): packed, in the motion backend's
// staging memory (page-locked on a GPU), so that the stages upload from
// them and download into them without a staging copy. Safe for concurrent
// use; a nil *ownedPlanes holds nothing.
type ownedPlanes struct {
	mu     sync.RWMutex
	planes map[*byte]int // a plane's first sample → its length
}

// add records the planes of p.
func (o *ownedPlanes) add(p *h264.Picture) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.planes == nil {
		o.planes = map[*byte]int{}
	}
	for _, pl := range []*h264.Plane{&p.Y, &p.Cb, &p.Cr} {
		o.planes[&pl.Pix[0]] = len(pl.Pix)
	}
}

// has reports whether p is a packed plane (stride = width) lying in one
// of the recorded planes.
func (o *ownedPlanes) has(p *h264.Plane) bool {
	if o == nil || p.Width <= 0 || p.Height <= 0 || p.Stride != p.Width || len(p.Pix) < p.Width*p.Height {
		return false
	}
	o.mu.RLock()
	n, ok := o.planes[&p.Pix[0]]
	o.mu.RUnlock()
	return ok && n >= p.Width*p.Height
}

// hasPicture reports whether every plane of p is one of o's.
func (o *ownedPlanes) hasPicture(p *h264.Picture) bool {
	return p != nil && o.has(&p.Y) && o.has(&p.Cb) && o.has(&p.Cr)
}
