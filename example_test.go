package gpuenc_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"log"

	"github.com/gpuenc/gpuenc"
)

// Encode ten frames drawn with the image package into an mp4 held in
// memory.
func ExampleWriter() {
	var imgs []image.Image
	for i := 0; i < 10; i++ {
		m := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for y := 0; y < 48; y++ {
			for x := 0; x < 64; x++ {
				m.Set(x, y, color.RGBA{uint8(4 * x), uint8(5 * y), uint8(25 * i), 255})
			}
		}
		imgs = append(imgs, m)
	}
	frames, err := gpuenc.FramesFromImages(imgs...)
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer // not seekable: the mp4 is fragmented
	w, err := gpuenc.NewWriter(&out, gpuenc.WriterOptions{Container: "mp4"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = w.AddVideoStream(gpuenc.StreamConfig{
		Width: 64, Height: 48, FrameRate: gpuenc.Rational{Num: 25, Den: 1},
		Format: frames.Format(), Encoder: "h264_go",
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(context.Background(), 0, frames); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(frames.Format(), frames.Len(), out.Len() > 0)
	// Output: rgba 10 true
}

// Read frames of FFmpeg's testsrc2 generator in chunks.
func ExampleReader() {
	r, err := gpuenc.OpenReader("testsrc2=size=320x240:rate=25:duration=1", gpuenc.ReaderOptions{Format: "lavfi", Output: gpuenc.YUV420P})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	total := 0
	for {
		f, err := r.Read(context.Background(), 10)
		if err != nil {
			break // io.EOF at the end
		}
		total += f.Len()
	}
	fmt.Println(r.Info().Width, r.Info().Height, total)
	// Output: 320 240 25
}
