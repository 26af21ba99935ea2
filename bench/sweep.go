package bench

import (
	"github.com/gpuenc/gpuenc/quality"
)

// curve returns the rate-distortion points (kbit/s, 6:1:1 PSNR) of a sweep
// at one resolution, and the first error row's reason if a point failed.
func curve(rows []Row, res, sweep string) ([]quality.RDPoint, string) {
	var pts []quality.RDPoint
	for _, r := range rows {
		if r.Resolution != res || r.Sweep != sweep {
			continue
		}
		if r.Status != StatusOK || r.Quality == nil {
			return nil, "point " + r.Point + ": " + r.Reason
		}
		pts = append(pts, quality.RDPoint{Rate: r.BitrateKbps, PSNR: float64(r.Quality.PSNR611)})
	}
	return pts, ""
}

// bdRates computes the BD-rate of every sweep at res against the anchor's.
func bdRates(rows []Row, res, anchor string) []BD {
	var sweeps []string
	seen := map[string]bool{anchor: true}
	for _, r := range rows {
		if r.Resolution == res && r.Sweep != "" && !seen[r.Sweep] {
			seen[r.Sweep] = true
			sweeps = append(sweeps, r.Sweep)
		}
	}
	ref, why := curve(rows, res, anchor)
	var out []BD
	for _, s := range sweeps {
		bd := BD{Resolution: res, Sweep: s, Anchor: anchor}
		test, twhy := curve(rows, res, s)
		switch {
		case len(ref) == 0 && why == "":
			bd.Error = "the anchor did not run"
		case why != "":
			bd.Error = "anchor " + why
		case twhy != "":
			bd.Error = twhy
		default:
			v, err := quality.BDRate(ref, test)
			if err != nil {
				bd.Error = err.Error()
			} else {
				f := Float(v)
				bd.Rate = &f
			}
		}
		out = append(out, bd)
	}
	return out
}
