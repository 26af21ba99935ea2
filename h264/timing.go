// Host stage timing: the wall time of each segment of Encode's pipeline,
// whoever runs it (Go or an accelerator), for benchmarks and notes.

package h264

import "time"

// The segments of Encode that SetStageTiming times, in pipeline order.
const (
	hostLoad     = iota // stage 0: the picture copied into the padded source
	hostMotion          // stage 1 (and constant quality's QP)
	hostTreeWait        // waiting for the lookahead's analysis and tree
	hostDecide          // stage 2 and the scene-cut count
	hostProbe           // stage 2b
	hostRecon           // stage 3 (intra wavefront, inter copied or coded)
	hostSkip            // stage 3b, type counts, the accelerator's records
	hostCAVLC           // stage 4 in Go (not with an entropy accelerator)
	hostDeblock         // stage 5 (and starting an accelerator's stage 4)
	hostConcat          // waiting for the slice data, concatenation
	hostStages
)

var hostStageNames = [hostStages]string{
	"host/0-load", "host/1-motion", "host/L-wait", "host/2-decide", "host/2b-probe",
	"host/3-recon", "host/3b-skip", "host/4-cavlc", "host/5-deblock", "host/concat",
}

// StageTime is the time one stage took, summed over the pictures since the
// last StageTimes call.
type StageTime struct {
	Stage   string
	Seconds float64
}

// SetStageTiming turns the timing of Encode's stages on or off and resets
// it. It costs two clock reads per stage and picture.
func (e *Encoder) SetStageTiming(on bool) {
	e.timing, e.times = on, [hostStages]time.Duration{}
}

// StageTimes returns the wall time of each segment of Encode's pipeline
// since the last call ("host/0-load", "host/1-motion", ... in pipeline
// order; stages an accelerator runs included), and resets them; nil when
// timing is off.
func (e *Encoder) StageTimes() []StageTime {
	if !e.timing {
		return nil
	}
	out := make([]StageTime, hostStages)
	for k := range out {
		out[k] = StageTime{Stage: hostStageNames[k], Seconds: e.times[k].Seconds()}
	}
	e.times = [hostStages]time.Duration{}
	return out
}

// lapFrom starts a lap: the current time when timing (t otherwise).
func (e *Encoder) lapFrom(t time.Time) time.Time {
	if e.timing {
		return time.Now()
	}
	return t
}

// lap adds the time since start to segment k and returns the current time
// (no clock read when timing is off).
func (e *Encoder) lap(k int, start time.Time) time.Time {
	if !e.timing {
		return start
	}
	now := time.Now()
	e.times[k] += now.Sub(start)
	return now
}
