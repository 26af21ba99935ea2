package gpuenc_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"math/rand"
	"testing"

	"github.com/gpuenc/gpuenc"
)

func TestFrameSizes(t *testing.T) {
	for _, c := range []struct {
		f    gpuenc.PixelFormat
		w, h int
		want int
	}{
		{gpuenc.YUV420P, 33, 17, 33*17 + 2*17*9},
		{gpuenc.NV12, 33, 17, 33*17 + 34*9},
		{gpuenc.YUV422P, 33, 17, 33*17 + 2*17*17},
		{gpuenc.YUV444P, 3, 2, 18},
		{gpuenc.RGB24, 5, 3, 45},
		{gpuenc.BGR0, 5, 3, 60},
		{gpuenc.Gray, 1, 1, 1},
	} {
		if got := c.f.FrameSize(c.w, c.h); got != c.want {
			t.Errorf("%s %dx%d: FrameSize %d, want %d", c.f, c.w, c.h, got, c.want)
		}
	}
}

func TestFramesFromImagesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	r := image.Rect(0, 0, 7, 5)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	rng.Read(ycc.Y)
	rng.Read(ycc.Cb)
	rng.Read(ycc.Cr)
	gray := image.NewGray(r)
	rng.Read(gray.Pix)
	nrgba := image.NewNRGBA(r)
	rng.Read(nrgba.Pix)
	for _, img := range []image.Image{ycc, gray, nrgba} {
		f, err := gpuenc.FramesFromImages(img, img)
		if err != nil {
			t.Fatal(err)
		}
		back, err := f.Image(1)
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < 5; y++ {
			for x := 0; x < 7; x++ {
				if img.At(x, y) != back.At(x, y) {
					t.Fatalf("%T: pixel (%d,%d) is %v after the round trip, was %v", img, x, y, back.At(x, y), img.At(x, y))
				}
			}
		}
	}
	// A sub-image starting away from the origin, and a paletted image drawn
	// into rgba.
	big := image.NewRGBA(image.Rect(0, 0, 20, 20))
	rng.Read(big.Pix)
	sub := big.SubImage(image.Rect(3, 4, 10, 9))
	pal := image.NewPaletted(image.Rect(0, 0, 7, 5), color.Palette{color.Black, color.White})
	pal.SetColorIndex(2, 2, 1)
	f, err := gpuenc.FramesFromImages(sub, pal)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format() != gpuenc.RGBA {
		t.Fatalf("format %s, want rgba", f.Format())
	}
	want := image.NewRGBA(image.Rect(0, 0, 7, 5))
	draw.Draw(want, want.Rect, sub, sub.Bounds().Min, draw.Src)
	if !bytes.Equal(f.Frame(0), want.Pix) {
		t.Error("sub-image copied from the wrong place")
	}
	if got := f.Frame(1)[(2*7+2)*4]; got != 255 {
		t.Errorf("paletted white pixel drawn as %d", got)
	}
	// Mismatched sizes are a typed error.
	var se *gpuenc.ShapeError
	if _, err := gpuenc.FramesFromImages(gray, image.NewGray(image.Rect(0, 0, 2, 2))); !errors.As(err, &se) {
		t.Errorf("got %v, want ShapeError", err)
	}
}

func TestFramesImageFormats(t *testing.T) {
	f, _ := gpuenc.NewFrames(gpuenc.BGR24, 2, 1, 1)
	copy(f.Frame(0), []byte{1, 2, 3, 4, 5, 6})
	img, err := f.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.At(0, 0).(color.RGBA); got != (color.RGBA{3, 2, 1, 255}) {
		t.Errorf("bgr24 pixel %v, want {3 2 1 255}", got)
	}
	n, _ := gpuenc.NewFrames(gpuenc.NV12, 2, 2, 1)
	copy(n.Frame(0), []byte{10, 11, 12, 13, 100, 200})
	m, _ := n.Image(0)
	y := m.(*image.YCbCr)
	if y.Cb[0] != 100 || y.Cr[0] != 200 || y.Y[3] != 13 {
		t.Errorf("nv12 as YCbCr: Y %v Cb %v Cr %v", y.Y, y.Cb, y.Cr)
	}
	if _, err := n.Image(1); err == nil {
		t.Error("Image(1) of a one-frame batch succeeded")
	}
	if _, err := gpuenc.NewFrames("yuv411p", 2, 2, 1); err == nil {
		t.Error("yuv411p accepted")
	}
	if _, err := gpuenc.NewFrames(gpuenc.RGB24, 0, 2, 1); err == nil {
		t.Error("zero width accepted")
	}
}

func TestFramesSliceShares(t *testing.T) {
	f, _ := gpuenc.NewFrames(gpuenc.Gray, 2, 2, 4)
	s := f.Slice(1, 3)
	s.Frame(0)[0] = 9
	if f.Frame(1)[0] != 9 || s.Len() != 2 {
		t.Error("Slice does not share memory or has the wrong length")
	}
}
