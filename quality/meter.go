package quality

import (
	"math"
	"runtime"
	"sync"
)

// FrameResult holds the figures of one frame. Per-plane arrays are indexed
// by plane; only the first Planes entries are meaningful.
type FrameResult struct {
	// Planes is the number of planes measured.
	Planes int
	// SSE is each plane's sum of squared errors.
	SSE [MaxPlanes]uint64
	// MSE is each plane's mean squared error, SSE/(Width·Height)
	// (FFmpeg's mse_y, mse_u, ...).
	MSE [MaxPlanes]float64
	// PSNR is each plane's PSNR in dB, PSNRFromMSE(MSE); +Inf for identical
	// planes (FFmpeg's psnr_y, psnr_u, ...).
	PSNR [MaxPlanes]float64
	// MSEAvg is FFmpeg's mse_avg: the planes' MSE averaged with their
	// sample counts as weights, which equals total SSE over total samples.
	MSEAvg float64
	// PSNRAvg is FFmpeg's psnr_avg, PSNRFromMSE(MSEAvg).
	PSNRAvg float64
	// MSE611 is (6·MSE_Y + MSE_U + MSE_V)/8 (see Weighted611).
	MSE611 float64
	// PSNR611 is PSNRFromMSE(MSE611), the 6:1:1 weighted PSNR computed from
	// the weighted MSE.
	PSNR611 float64
	// SSIM is each plane's SSIM (FFmpeg's Y:, U:, V: of the stats file).
	SSIM [MaxPlanes]float64
	// SSIMAll is the planes' SSIM averaged with their sample counts as
	// weights (FFmpeg's All:).
	SSIMAll float64
}

// Weighted611 returns the weights of the 6:1:1 weighted PSNR for a frame of
// n planes, normalised to sum to 1: luma 6, each of the first two chroma
// planes 1, any further plane (alpha) 0. One plane gets weight 1; two get
// 6/7 and 1/7.
func Weighted611(n int) [MaxPlanes]float64 {
	var w [MaxPlanes]float64
	raw := [MaxPlanes]float64{6, 1, 1, 0}
	total := 0.0
	for i := 0; i < n && i < MaxPlanes; i++ {
		total += raw[i]
	}
	for i := 0; i < n && i < MaxPlanes; i++ {
		w[i] = raw[i] / total
	}
	return w
}

// frameResult turns the raw sums of a frame into its figures, with FFmpeg's
// order of floating-point operations.
func frameResult(ref []Plane, s *planeSums) FrameResult {
	n := s.n
	fr := FrameResult{Planes: n}
	total := 0
	for i := 0; i < n; i++ {
		total += ref[i].Width * ref[i].Height
	}
	w611 := Weighted611(n)
	for i := 0; i < n; i++ {
		w, h := ref[i].Width, ref[i].Height
		fr.SSE[i] = s.sse[i]
		fr.MSE[i] = float64(s.sse[i]) / (float64(w) * float64(h))
		fr.PSNR[i] = PSNRFromMSE(fr.MSE[i])
		weight := float64(h*w) / float64(total)
		fr.MSEAvg += fr.MSE[i] * weight
		fr.MSE611 += fr.MSE[i] * w611[i]
		fr.SSIM[i] = (0 + s.ssimSum[i]) / float64(ssimWindows(w, h))
		fr.SSIMAll += weight * fr.SSIM[i]
	}
	fr.PSNRAvg = PSNRFromMSE(fr.MSEAvg)
	fr.PSNR611 = PSNRFromMSE(fr.MSE611)
	return fr
}

// Result holds the figures of a sequence. Per-plane arrays are indexed by
// plane; only the first Planes entries are meaningful. Field comments name
// the FFmpeg summary figure each one reproduces, where there is one.
type Result struct {
	// Frames is the number of frames measured.
	Frames int
	// Planes is the number of planes of each frame.
	Planes int
	// PerFrame holds each frame's figures, in order (nil when the Meter
	// was told to drop them).
	PerFrame []FrameResult

	// MSE is each plane's MSE averaged over frames.
	MSE [MaxPlanes]float64
	// PSNR is each plane's PSNR of the MSE averaged over frames, i.e. the
	// PSNR of the sequence's total squared error (FFmpeg's summary
	// "y:", "u:", "v:").
	PSNR [MaxPlanes]float64
	// MeanPSNR is each plane's arithmetic mean of the per-frame PSNR; +Inf
	// if any frame's plane is identical to its reference. FFmpeg does not
	// print this figure.
	MeanPSNR [MaxPlanes]float64
	// PSNRAvg is the PSNR of FrameResult.MSEAvg averaged over frames
	// (FFmpeg's summary "average:"), a PSNR of mean MSE.
	PSNRAvg float64
	// MeanPSNRAvg is the arithmetic mean of the per-frame PSNRAvg.
	MeanPSNRAvg float64
	// PSNRAvgMin is the lowest per-frame PSNRAvg (FFmpeg's summary "min:").
	PSNRAvgMin float64
	// PSNRAvgMax is the highest per-frame PSNRAvg (FFmpeg's summary "max:").
	PSNRAvgMax float64
	// PSNR611 is the PSNR of FrameResult.MSE611 averaged over frames: the
	// 6:1:1 weighted PSNR of the sequence, computed from the weighted MSE.
	PSNR611 float64
	// MeanPSNR611 is the arithmetic mean of the per-frame PSNR611.
	MeanPSNR611 float64

	// SSIM is each plane's SSIM averaged over frames (FFmpeg's summary
	// "Y:", "U:", "V:").
	SSIM [MaxPlanes]float64
	// SSIMdB is SSIMToDB of each SSIM (FFmpeg prints it in parentheses).
	SSIMdB [MaxPlanes]float64
	// SSIMAll is the per-frame SSIMAll averaged over frames (FFmpeg's
	// summary "All:").
	SSIMAll float64
	// SSIMAlldB is SSIMToDB(SSIMAll).
	SSIMAlldB float64
}

// Meter accumulates the quality of a sequence frame by frame, so that a
// video can be measured as it is decoded, without holding it in memory.
// The zero Meter is ready to use. A Meter must not be used by several
// goroutines at once; each Add spreads its own work over up to GOMAXPROCS
// goroutines.
type Meter struct {
	// DropFrames, when set before the first Add, stops the Meter from
	// keeping per-frame figures: Result().PerFrame is then nil, and memory
	// stays constant however long the sequence.
	DropFrames bool

	geometry   [MaxPlanes]Size
	planes     int
	frames     int
	perFrame   []FrameResult
	sumMSE     [MaxPlanes]float64
	sumPSNR    [MaxPlanes]float64
	sumSSIM    [MaxPlanes]float64
	sumMSEAvg  float64
	sumPSNRAv  float64
	sum611     float64
	sumPSNR611 float64
	sumAll     float64
	minMSE     float64
	maxMSE     float64
}

// Add measures one frame: ref and dist must have the same number of planes
// (1 to MaxPlanes), each plane the same size in both and the same as in the
// first frame added. On error nothing is accumulated.
func (m *Meter) Add(ref, dist []Plane) error {
	if err := m.check(ref, dist, m.frames); err != nil {
		return err
	}
	var s planeSums
	measureFrame(ref, dist, true, true, runtime.GOMAXPROCS(0), &s)
	fr := frameResult(ref, &s)
	m.accumulate(&fr)
	return nil
}

// check validates a frame against its pair and the sequence's geometry,
// recording the geometry on the first frame.
func (m *Meter) check(ref, dist []Plane, frame int) error {
	if len(ref) > MaxPlanes || len(dist) > MaxPlanes {
		return &PlaneCountError{Frame: frame, Ref: len(ref), Dist: len(dist)}
	}
	if err := checkFrame(ref, dist, frame); err != nil {
		return err
	}
	if m.frames == 0 {
		m.planes = len(ref)
		for i := range ref {
			m.geometry[i] = Size{ref[i].Width, ref[i].Height}
		}
		return nil
	}
	same := len(ref) == m.planes
	for i := 0; same && i < len(ref); i++ {
		same = m.geometry[i] == Size{ref[i].Width, ref[i].Height}
	}
	if !same {
		e := &GeometryChangeError{Frame: frame, Want: append([]Size(nil), m.geometry[:m.planes]...)}
		for i := range ref {
			e.Got = append(e.Got, Size{ref[i].Width, ref[i].Height})
		}
		return e
	}
	return nil
}

// accumulate adds one frame's figures to the running sums, in frame order.
func (m *Meter) accumulate(fr *FrameResult) {
	if m.frames == 0 {
		m.minMSE, m.maxMSE = math.Inf(1), math.Inf(-1)
	}
	m.frames++
	if !m.DropFrames {
		m.perFrame = append(m.perFrame, *fr)
	}
	for i := 0; i < fr.Planes; i++ {
		m.sumMSE[i] += fr.MSE[i]
		m.sumPSNR[i] += fr.PSNR[i]
		m.sumSSIM[i] += fr.SSIM[i]
	}
	m.sumMSEAvg += fr.MSEAvg
	m.sumPSNRAv += fr.PSNRAvg
	m.sum611 += fr.MSE611
	m.sumPSNR611 += fr.PSNR611
	m.sumAll += fr.SSIMAll
	m.minMSE = math.Min(m.minMSE, fr.MSEAvg)
	m.maxMSE = math.Max(m.maxMSE, fr.MSEAvg)
}

// Result returns the figures of the frames added so far. With no frames
// the figures are zero.
func (m *Meter) Result() Result {
	r := Result{Frames: m.frames, Planes: m.planes}
	if m.frames == 0 {
		return r
	}
	if !m.DropFrames {
		r.PerFrame = append([]FrameResult(nil), m.perFrame...)
	}
	n := float64(m.frames)
	for i := 0; i < m.planes; i++ {
		r.MSE[i] = m.sumMSE[i] / n
		r.PSNR[i] = PSNRFromMSE(m.sumMSE[i] / n)
		r.MeanPSNR[i] = m.sumPSNR[i] / n
		r.SSIM[i] = m.sumSSIM[i] / n
		r.SSIMdB[i] = ssimDB(m.sumSSIM[i], n)
	}
	r.PSNRAvg = PSNRFromMSE(m.sumMSEAvg / n)
	r.MeanPSNRAvg = m.sumPSNRAv / n
	r.PSNRAvgMin = PSNRFromMSE(m.maxMSE)
	r.PSNRAvgMax = PSNRFromMSE(m.minMSE)
	r.PSNR611 = PSNRFromMSE(m.sum611 / n)
	r.MeanPSNR611 = m.sumPSNR611 / n
	r.SSIMAll = m.sumAll / n
	r.SSIMAlldB = ssimDB(m.sumAll, n)
	return r
}

// Compare measures a whole sequence held in memory: ref[i] and dist[i] are
// the planes of frame i. Frames (and, with fewer frames than GOMAXPROCS,
// bands within frames) are measured in parallel on about GOMAXPROCS
// goroutines; the result is bit-identical to adding the frames one by one
// to a Meter.
func Compare(ref, dist [][]Plane) (Result, error) {
	if len(ref) != len(dist) {
		return Result{}, &FrameCountError{Ref: len(ref), Dist: len(dist)}
	}
	var m Meter
	for i := range ref {
		if err := m.check(ref[i], dist[i], i); err != nil {
			return Result{}, err
		}
		if i == 0 {
			m.frames = 1 // make check compare later frames with frame 0
		}
	}
	m.frames = 0
	frames := make([]FrameResult, len(ref))
	procs := runtime.GOMAXPROCS(0)
	workers := min(procs, len(ref))
	// With fewer frames than processors, each frame spreads its bands too.
	inner := max(1, procs/max(workers, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(ref) {
					return
				}
				var s planeSums
				measureFrame(ref[i], dist[i], true, true, inner, &s)
				frames[i] = frameResult(ref[i], &s)
			}
		}()
	}
	wg.Wait()
	for i := range frames {
		m.accumulate(&frames[i])
	}
	return m.Result(), nil
}
