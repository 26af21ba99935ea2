package quality_test

import (
	"fmt"

	"github.com/gpuenc/gpuenc/quality"
)

// frame returns a w x h yuv420p frame whose samples follow f.
func frame(w, h int, f func(plane, x, y int) uint8) []quality.Plane {
	sizes := [3][2]int{{w, h}, {(w + 1) / 2, (h + 1) / 2}, {(w + 1) / 2, (h + 1) / 2}}
	planes := make([]quality.Plane, 3)
	for p, s := range sizes {
		pl := quality.Plane{Width: s[0], Height: s[1], Stride: s[0], Pix: make([]uint8, s[0]*s[1])}
		for y := 0; y < s[1]; y++ {
			for x := 0; x < s[0]; x++ {
				pl.Pix[y*pl.Stride+x] = f(p, x, y)
			}
		}
		planes[p] = pl
	}
	return planes
}

func Example() {
	// Feed frames to a Meter as they are decoded.
	var m quality.Meter
	for i := 0; i < 3; i++ {
		base := func(p, x, y int) int { return (x*3+y*2)%200 + p*20 + i }
		ref := frame(64, 48, func(p, x, y int) uint8 { return uint8(base(p, x, y)) })
		dist := frame(64, 48, func(p, x, y int) uint8 {
			v := base(p, x, y)
			if (x+y)%3 == 0 {
				v += 2 // an error of 2 on about a third of the samples
			}
			return uint8(v)
		})
		if err := m.Add(ref, dist); err != nil {
			fmt.Println(err)
			return
		}
	}
	r := m.Result()
	fmt.Printf("frames %d, PSNR y:%.2f u:%.2f v:%.2f average:%.2f 6:1:1:%.2f\n",
		r.Frames, r.PSNR[0], r.PSNR[1], r.PSNR[2], r.PSNRAvg, r.PSNR611)
	fmt.Printf("SSIM Y:%.4f All:%.4f\n", r.SSIM[0], r.SSIMAll)

	// Compare two encoders' rate-distortion curves.
	anchor := []quality.RDPoint{{Rate: 1000, PSNR: 32}, {Rate: 2000, PSNR: 35}, {Rate: 4000, PSNR: 38}, {Rate: 8000, PSNR: 41}}
	test := []quality.RDPoint{{Rate: 900, PSNR: 32}, {Rate: 1800, PSNR: 35}, {Rate: 3600, PSNR: 38}, {Rate: 7200, PSNR: 41}}
	bd, err := quality.BDRate(anchor, test)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("BD-rate %.2f %%\n", bd)
	// Output:
	// frames 3, PSNR y:46.88 u:46.88 v:46.88 average:46.88 6:1:1:46.88
	// SSIM Y:0.9960 All:0.9958
	// BD-rate -10.00 %
}
