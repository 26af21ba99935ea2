package h264_test

import (
	"fmt"
	"log"

	"github.com/gpuenc/gpuenc/h264"
)

// Encode three grey pictures at constant quality and print what came out.
func Example() {
	enc, err := h264.NewEncoder(h264.Options{Width: 64, Height: 48, FrameRateNum: 25, FrameRateDen: 1})
	if err != nil {
		log.Fatal(err)
	}
	pic := h264.NewPicture(64, 48)
	for _, pl := range []*h264.Plane{&pic.Y, &pic.Cb, &pic.Cr} {
		for i := range pl.Pix {
			pl.Pix[i] = 128
		}
	}
	for i := 0; i < 3; i++ {
		au, err := enc.Encode(pic)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("frame %d keyframe=%v skipped macroblocks=%d\n", au.FrameNum, au.Keyframe, au.Skip)
	}
	sps, pps := enc.Headers()
	fmt.Printf("avcC record: %d bytes\n", len(h264.AVCDecoderConfigurationRecord(sps, pps)))
	// Output:
	// frame 0 keyframe=true skipped macroblocks=0
	// frame 1 keyframe=false skipped macroblocks=12
	// frame 2 keyframe=false skipped macroblocks=12
	// avcC record: 37 bytes
}
