package h264

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/gpuenc/gpuenc/internal/oracle"
)

// synthFrame draws frame t of a moving test pattern: gradients, a textured
// disc moving diagonally, a noise band, and chroma that varies with both.
func synthFrame(w, h, t int, seed int64) *Picture {
	p := NewPicture(w, h)
	r := rand.New(rand.NewSource(seed))
	noise := make([]uint8, 64*64)
	for i := range noise {
		noise[i] = uint8(r.Intn(256))
	}
	cx, cy := (w/3+3*t)%max(w, 1), (h/3+2*t)%max(h, 1)
	rad := max(w, h) / 5
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := (x*255/max(w, 1) + y*128/max(h, 1) + t) & 255
			dx, dy := x-cx, y-cy
			if dx*dx+dy*dy < rad*rad {
				v = int(noise[((y+t)&63)*64+((x+2*t)&63)])/2 + 60
			}
			if y > h*2/3 && y < h*2/3+6 {
				v = int(noise[(y&63)*64+((x+t)&63)])
			}
			p.Y.Pix[y*p.Y.Stride+x] = uint8(v)
		}
	}
	for y := 0; y < p.Cb.Height; y++ {
		for x := 0; x < p.Cb.Width; x++ {
			p.Cb.Pix[y*p.Cb.Stride+x] = uint8(128 + (x*3-y*2+t*4)%90 - 45)
			p.Cr.Pix[y*p.Cr.Stride+x] = uint8(100 + (x*y+t)%70)
		}
	}
	return p
}

// encodeAndCheck encodes pics, decodes the stream with FFmpeg and openh264
// and requires every decoded picture to equal the encoder's reconstruction
// byte for byte. It returns the stream and access units.
func encodeAndCheck(t *testing.T, o Options, pics []*Picture, hooks *testHooks) ([]byte, []AccessUnit) {
	t.Helper()
	stream, recon, aus := encodeClip(t, o, pics, hooks)
	checkDecoders(t, stream, o.Width, o.Height, recon)
	return stream, aus
}

// encodeClip encodes pics and returns the stream, the encoder's
// reconstructions (yuv420p) and the access units.
func encodeClip(t testing.TB, o Options, pics []*Picture, hooks *testHooks) ([]byte, [][]byte, []AccessUnit) {
	t.Helper()
	enc, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	enc.hooks = hooks
	var stream []byte
	var recon [][]byte
	var aus []AccessUnit
	add := func(au AccessUnit) {
		if au.FrameNum != len(aus) {
			t.Fatalf("access unit of picture %d, want %d", au.FrameNum, len(aus))
		}
		stream = append(stream, au.Data...)
		recon = append(recon, enc.Reconstruction().AppendYUV420P(nil))
		aus = append(aus, au)
	}
	for i, p := range pics {
		au, err := enc.Encode(p)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if au.Data == nil { // held back by the lookahead
			continue
		}
		add(au)
	}
	for {
		au, ok, err := enc.Flush()
		if err != nil {
			t.Fatalf("flush: %v", err)
		}
		if !ok {
			break
		}
		add(au)
	}
	if len(aus) != len(pics) {
		t.Fatalf("%d access units for %d pictures", len(aus), len(pics))
	}
	return stream, recon, aus
}

// checkDecoders decodes stream with both oracles and compares every frame
// (luma cropped to w×h: odd sizes are coded one sample larger).
func checkDecoders(t *testing.T, stream []byte, w, h int, recon [][]byte) {
	t.Helper()
	oracle.Require(t)
	ctx := context.Background()
	ff, err := oracle.FFmpegDecode(ctx, stream, "h264")
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	oh, err := oracle.OpenH264Decode(ctx, stream)
	if err != nil {
		t.Fatalf("openh264: %v", err)
	}
	for name, fr := range map[string]*oracle.Frames{"ffmpeg": ff, "openh264": oh} {
		if len(fr.Frames) != len(recon) {
			t.Fatalf("%s decoded %d frames, want %d", name, len(fr.Frames), len(recon))
		}
		if fr.Width != (w+1)&^1 || fr.Height != (h+1)&^1 {
			t.Fatalf("%s decoded %dx%d, want %dx%d", name, fr.Width, fr.Height, (w+1)&^1, (h+1)&^1)
		}
		for i, f := range fr.Frames {
			got := cropDecoded(f, fr.Width, fr.Height, w, h)
			if !bytes.Equal(got, recon[i]) {
				t.Fatalf("%s frame %d differs from the reconstruction: %s", name, i, firstDiff(got, recon[i], w, h))
			}
		}
	}
}

// cropDecoded crops a decoded dw×dh yuv420p frame to w×h luma (chroma
// planes are the same size for both).
func cropDecoded(f []byte, dw, dh, w, h int) []byte {
	if dw == w && dh == h {
		return f
	}
	out := make([]byte, 0, len(f))
	for y := 0; y < h; y++ {
		out = append(out, f[y*dw:y*dw+w]...)
	}
	return append(out, f[dw*dh:]...)
}

func firstDiff(a, b []byte, w, h int) string {
	if len(a) != len(b) {
		return fmt.Sprintf("sizes %d and %d", len(a), len(b))
	}
	cw := (w + 1) / 2
	for i := range a {
		if a[i] != b[i] {
			if i < w*h {
				return fmt.Sprintf("first at luma (%d,%d) MB (%d,%d): decoder %d, encoder %d", i%w, i/w, i%w/16, i/w/16, a[i], b[i])
			}
			j := i - w*h
			pl := "Cb"
			ch := (h + 1) / 2
			if j >= cw*ch {
				j -= cw * ch
				pl = "Cr"
			}
			return fmt.Sprintf("first at %s (%d,%d) MB (%d,%d): decoder %d, encoder %d", pl, j%cw, j/cw, j%cw/8, j/cw/8, a[i], b[i])
		}
	}
	return "none"
}

func clip(w, h, n int, seed int64) []*Picture {
	pics := make([]*Picture, n)
	for i := range pics {
		pics[i] = synthFrame(w, h, i, seed)
	}
	return pics
}

func TestEncodeSmoke(t *testing.T) {
	o := Options{Width: 64, Height: 48, RateControl: ConstantQP, QP: 26, Threads: 2}
	encodeAndCheck(t, o, clip(64, 48, 3, 1), nil)
}

func TestGOPAndForceKeyframe(t *testing.T) {
	pics := clip(32, 32, 9, 2)
	enc, err := NewEncoder(Options{Width: 32, Height: 32, GOP: 4, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var stream []byte
	var recon [][]byte
	var keys []bool
	for i, p := range pics {
		if i == 2 {
			enc.ForceKeyframe()
		}
		au, err := enc.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, au.Keyframe)
		stream = append(stream, au.Data...)
		recon = append(recon, enc.Reconstruction().AppendYUV420P(nil))
	}
	want := []bool{true, false, true, false, false, false, true, false, false}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("keyframes %v, want %v", keys, want)
		}
	}
	checkDecoders(t, stream, 32, 32, recon)
}
