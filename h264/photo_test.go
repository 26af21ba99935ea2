package h264

import (
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"sync"
	"testing"
)

// photoPath is a public-domain photograph (Grace Hopper, from Wikimedia
// Commons) shipped by Debian's python-matplotlib-data, installed by
// scripts/install-deps.sh.
const photoPath = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"

// loadPhoto returns the photograph as a full-resolution 4:4:4 Y, Cb, Cr
// sample grid.
func loadPhoto(t testing.TB) (w, h int, yy, cb, cr []uint8) {
	t.Helper()
	photoOnce.Do(func() { photo.w, photo.h, photo.y, photo.cb, photo.cr, photo.err = readPhoto() })
	if photo.err != nil {
		t.Fatalf("test photograph (run scripts/install-deps.sh): %v", photo.err)
	}
	return photo.w, photo.h, photo.y, photo.cb, photo.cr
}

var (
	photoOnce sync.Once
	photo     struct {
		w, h      int
		y, cb, cr []uint8
		err       error
	}
)

func readPhoto() (w, h int, yy, cb, cr []uint8, err error) {
	f, err := os.Open(photoPath)
	if err != nil {
		return
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		return
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	yy, cb, cr = make([]uint8, w*h), make([]uint8, w*h), make([]uint8, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch m := img.(type) {
			case *image.YCbCr:
				i, c := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				yy[y*w+x], cb[y*w+x], cr[y*w+x] = m.Y[i], m.Cb[c], m.Cr[c]
			default:
				err = fmt.Errorf("unexpected JPEG image type %T", img)
				return
			}
		}
	}
	return
}

// photoClip pans and zooms over the photograph: frame i shows a window of
// the photo scaled (nearest sample, 16.16 fixed point) into w×h.
func photoClip(t testing.TB, w, h, n int) []*Picture {
	pw, ph, py, pcb, pcr := loadPhoto(t)
	pics := make([]*Picture, n)
	for i := range pics {
		// Window size shrinks (zoom in) and its origin moves (pan).
		ww := pw * (100 - 3*i) / 100
		wh := ww * h / w
		if wh > ph {
			wh = ph
			ww = wh * w / h
		}
		ox := min(pw-ww, 5*i+i*i/2)
		oy := min(ph-wh, 3*i)
		p := NewPicture(w, h)
		stepX := (ww << 16) / w
		stepY := (wh << 16) / h
		for y := 0; y < h; y++ {
			sy := oy + (y*stepY)>>16
			for x := 0; x < w; x++ {
				sx := ox + (x*stepX)>>16
				p.Y.Pix[y*p.Y.Stride+x] = py[sy*pw+sx]
			}
		}
		for y := 0; y < p.Cb.Height; y++ {
			sy := oy + (2*y*stepY)>>16
			for x := 0; x < p.Cb.Width; x++ {
				sx := ox + (2*x*stepX)>>16
				p.Cb.Pix[y*p.Cb.Stride+x] = pcb[sy*pw+sx]
				p.Cr.Pix[y*p.Cr.Stride+x] = pcr[sy*pw+sx]
			}
		}
		pics[i] = p
	}
	return pics
}

// TestBitExactPhoto codes a pan and zoom over a real photograph with a
// scene cut to synthetic content and back, in two rate control modes.
func TestBitExactPhoto(t *testing.T) {
	photo := photoClip(t, 208, 160, 10)
	synth := clip(208, 160, 3, 11)
	pics := append(append(append([]*Picture{}, photo[:5]...), synth...), photo[5:]...)
	for _, o := range []Options{
		{Width: 208, Height: 160, RateControl: ConstantQP, QP: 22, Threads: 2},
		{Width: 208, Height: 160, CRF: 30, Threads: 2, Preset: "ultrafast"},
	} {
		_, aus := encodeAndCheck(t, o, pics, nil)
		var kinds [3]int
		for _, au := range aus[1:] {
			kinds[0] += au.Intra
			kinds[1] += au.Inter
			kinds[2] += au.Skip
		}
		t.Logf("%s: intra %d inter %d skip %d", o.Preset, kinds[0], kinds[1], kinds[2])
		if kinds[1] == 0 {
			t.Errorf("no inter macroblocks in a panning clip")
		}
		// Scene cuts at pictures 5 and 8 become IDR pictures, nothing else.
		for i, au := range aus {
			if want := i == 0 || i == 5 || i == 8; au.Keyframe != want {
				t.Errorf("picture %d: keyframe %v, want %v (intra %d inter %d)", i, au.Keyframe, want, au.Intra, au.Inter)
			}
		}
	}
}
