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

// With a lookahead the encoder holds pictures back for its macroblock
// tree: Encode returns no data for the first ones, and Flush codes the
// rest once the last picture is given.
func ExampleEncoder_Flush() {
	enc, err := h264.NewEncoder(h264.Options{Width: 64, Height: 48, Lookahead: 2})
	if err != nil {
		log.Fatal(err)
	}
	pic := h264.NewPicture(64, 48)
	for i := 0; i < 4; i++ {
		for k := range pic.Y.Pix {
			pic.Y.Pix[k] = uint8(k + 3*i) // a pattern moving right
		}
		au, err := enc.Encode(pic)
		if err != nil {
			log.Fatal(err)
		}
		if au.Data == nil {
			fmt.Printf("picture %d held back\n", i)
			continue
		}
		fmt.Printf("picture %d given, picture %d out\n", i, au.FrameNum)
	}
	for {
		au, ok, err := enc.Flush()
		if err != nil {
			log.Fatal(err)
		}
		if !ok {
			break
		}
		fmt.Printf("flushed picture %d\n", au.FrameNum)
	}
	// Output:
	// picture 0 held back
	// picture 1 held back
	// picture 2 given, picture 0 out
	// picture 3 given, picture 1 out
	// flushed picture 2
	// flushed picture 3
}
