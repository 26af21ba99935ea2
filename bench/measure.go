package bench

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"io"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/quality"
)

// Quality is the quality of a decoded video against its source: the
// sequence figures of quality.Result that the report shows.
type Quality struct {
	// Frames is the number of frames compared.
	Frames int `json:"frames"`
	// PSNRY, PSNRU and PSNRV are each plane's PSNR of the mean MSE
	// (FFmpeg's summary y:, u:, v:), in dB.
	PSNRY Float `json:"psnr_y"`
	PSNRU Float `json:"psnr_u"`
	PSNRV Float `json:"psnr_v"`
	// PSNR611 is the 6:1:1 weighted PSNR (from the weighted MSE); the
	// report's PSNR column and the BD-rates use it.
	PSNR611 Float `json:"psnr_611"`
	// PSNRAvg is FFmpeg's "average:" figure (planes weighted by samples).
	PSNRAvg Float `json:"psnr_avg"`
	// SSIMY, SSIMU, SSIMV and SSIMAll are FFmpeg's ssim summary figures.
	SSIMY   Float `json:"ssim_y"`
	SSIMU   Float `json:"ssim_u"`
	SSIMV   Float `json:"ssim_v"`
	SSIMAll Float `json:"ssim_all"`
}

// QualityOf picks the report's figures out of a quality.Result.
func QualityOf(r quality.Result) Quality {
	return Quality{
		Frames: r.Frames,
		PSNRY:  Float(r.PSNR[0]), PSNRU: Float(r.PSNR[1]), PSNRV: Float(r.PSNR[2]),
		PSNR611: Float(r.PSNR611), PSNRAvg: Float(r.PSNRAvg),
		SSIMY: Float(r.SSIM[0]), SSIMU: Float(r.SSIM[1]), SSIMV: Float(r.SSIM[2]), SSIMAll: Float(r.SSIMAll),
	}
}

// planes describes frame i of host frames f as quality planes, reusing dst.
// Planar formats give one plane each; a packed plane (rgb24, nv12's
// interleaved chroma) is measured as one plane of its bytes.
func planes(f *gpuenc.Frames, i int, dst []quality.Plane) []quality.Plane {
	dst = dst[:0]
	format := f.Format()
	for p := range format.Planes() {
		data, rowBytes := f.Plane(i, p)
		_, rows := format.PlaneSize(p, f.Width(), f.Height())
		dst = append(dst, quality.Plane{Width: rowBytes, Height: rows, Stride: rowBytes, Pix: data})
	}
	return dst
}

// frameReader yields frames one at a time from a gpuenc.Reader, reading
// them in small chunks so that memory stays bounded.
type frameReader struct {
	r     *gpuenc.Reader
	batch *gpuenc.Frames
	next  int
	eof   bool
}

const readChunk = 8

// frame returns the next frame's batch and index in it, or io.EOF.
func (fr *frameReader) frame(ctx context.Context) (*gpuenc.Frames, int, error) {
	if fr.batch == nil || fr.next >= fr.batch.Len() {
		if fr.eof {
			return nil, 0, io.EOF
		}
		b, err := fr.r.Read(ctx, readChunk)
		if errors.Is(err, io.EOF) {
			fr.eof = true
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, err
		}
		fr.batch, fr.next = b, 0
	}
	fr.next++
	return fr.batch, fr.next - 1, nil
}

// drain counts the frames left.
func (fr *frameReader) drain(ctx context.Context) (int, error) {
	n := 0
	for {
		_, _, err := fr.frame(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// measureFile decodes the video at path in ref's pixel format and measures
// it against ref frame by frame through a quality.Meter. If spot is a frame
// index, the crop of that decoded frame is returned too.
func measureFile(ctx context.Context, path string, ref *gpuenc.Frames, spot int, crop image.Rectangle) (Quality, image.Image, error) {
	r, err := gpuenc.OpenReader(path, gpuenc.ReaderOptions{Output: ref.Format()})
	if err != nil {
		return Quality{}, nil, err
	}
	defer r.Close()
	fr := &frameReader{r: r}
	m := quality.Meter{DropFrames: true}
	var rp, dp []quality.Plane
	var spotImg image.Image
	n := 0
	for ; ; n++ {
		b, j, err := fr.frame(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Quality{}, nil, err
		}
		if n >= ref.Len() {
			rest, err := fr.drain(ctx)
			if err != nil {
				return Quality{}, nil, err
			}
			return Quality{}, nil, &quality.FrameCountError{Ref: ref.Len(), Dist: n + 1 + rest}
		}
		rp, dp = planes(ref, n, rp), planes(b, j, dp)
		if err := m.Add(rp, dp); err != nil {
			return Quality{}, nil, err
		}
		if n == spot {
			if spotImg, err = cropImage(b, j, crop); err != nil {
				return Quality{}, nil, err
			}
		}
	}
	if n != ref.Len() {
		return Quality{}, nil, &quality.FrameCountError{Ref: ref.Len(), Dist: n}
	}
	return QualityOf(m.Result()), spotImg, nil
}

// CompareFiles measures the video dist against the video ref, both opened
// with gpuenc.OpenReader and read in format (empty: ref's own format when
// Frames can hold it), frame by frame through a quality.Meter. Videos of
// different lengths give a *quality.FrameCountError with both counts.
func CompareFiles(ctx context.Context, ref, dist string, format gpuenc.PixelFormat) (quality.Result, error) {
	rr, err := gpuenc.OpenReader(ref, gpuenc.ReaderOptions{Output: format})
	if err != nil {
		return quality.Result{}, err
	}
	defer rr.Close()
	dr, err := gpuenc.OpenReader(dist, gpuenc.ReaderOptions{Output: rr.Info().Output})
	if err != nil {
		return quality.Result{}, err
	}
	defer dr.Close()
	a, b := &frameReader{r: rr}, &frameReader{r: dr}
	m := quality.Meter{DropFrames: true}
	var rp, dp []quality.Plane
	for n := 0; ; n++ {
		fa, ia, errA := a.frame(ctx)
		if errA != nil && !errors.Is(errA, io.EOF) {
			return quality.Result{}, errA
		}
		fb, ib, errB := b.frame(ctx)
		if errB != nil && !errors.Is(errB, io.EOF) {
			return quality.Result{}, errB
		}
		switch {
		case errA != nil && errB != nil:
			return m.Result(), nil
		case errA != nil:
			rest, err := b.drain(ctx)
			if err != nil {
				return quality.Result{}, err
			}
			return quality.Result{}, &quality.FrameCountError{Ref: n, Dist: n + 1 + rest}
		case errB != nil:
			rest, err := a.drain(ctx)
			if err != nil {
				return quality.Result{}, err
			}
			return quality.Result{}, &quality.FrameCountError{Ref: n + 1 + rest, Dist: n}
		}
		rp, dp = planes(fa, ia, rp), planes(fb, ib, dp)
		if err := m.Add(rp, dp); err != nil {
			return quality.Result{}, err
		}
	}
}

// centreCrop returns a w×h rectangle (clipped to the picture) at the centre
// of a width×height picture.
func centreCrop(width, height, w, h int) image.Rectangle {
	w, h = min(w, width), min(h, height)
	x, y := (width-w)/2, (height-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// detailCrop returns the w×h window (clipped to the picture, on a grid of
// steps of a quarter window) of frame i whose luma has the most detail: the
// largest sum of absolute differences between horizontal and vertical
// neighbours. Text, edges and texture show coding artefacts; flat areas
// hide them.
func detailCrop(f *gpuenc.Frames, i, w, h int) image.Rectangle {
	width, height := f.Width(), f.Height()
	best := centreCrop(width, height, w, h)
	w, h = best.Dx(), best.Dy()
	luma, stride := f.Plane(i, 0)
	if f.Format().IsRGB() || f.Format().Planes() == 0 {
		return best
	}
	// Gradient per pixel, summed over rows of blocks of the grid step.
	sx, sy := max(w/4, 1), max(h/4, 1)
	bw, bh := (width+sx-1)/sx, (height+sy-1)/sy
	blocks := make([]int, bw*bh)
	for y := 0; y+1 < height; y++ {
		row, next := luma[y*stride:y*stride+width], luma[(y+1)*stride:(y+1)*stride+width]
		brow := blocks[(y/sy)*bw : (y/sy+1)*bw]
		for x := 0; x+1 < width; x++ {
			d := absDiff(row[x], row[x+1]) + absDiff(row[x], next[x])
			brow[x/sx] += d
		}
	}
	bestScore := 0 // a flat picture keeps the centre
	for by := 0; by+4 <= bh && (by+4)*sy <= height; by++ {
		for bx := 0; bx+4 <= bw && (bx+4)*sx <= width; bx++ {
			score := 0
			for j := range 4 {
				for k := range 4 {
					score += blocks[(by+j)*bw+bx+k]
				}
			}
			if score > bestScore {
				bestScore = score
				best = image.Rect(bx*sx, by*sy, bx*sx+w, by*sy+h)
			}
		}
	}
	return best
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// cropImage returns the crop of frame i as RGBA. YCbCr frames are converted
// as limited-range BT.601, the way lavfi's test sources draw them; other
// formats through their image.Image.
func cropImage(f *gpuenc.Frames, i int, crop image.Rectangle) (image.Image, error) {
	img, err := f.Image(i)
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, crop.Dx(), crop.Dy()))
	yc, ok := img.(*image.YCbCr)
	if !ok {
		draw.Draw(out, out.Bounds(), img, crop.Min, draw.Src)
		return out, nil
	}
	for y := crop.Min.Y; y < crop.Max.Y; y++ {
		for x := crop.Min.X; x < crop.Max.X; x++ {
			yi, ci := yc.YOffset(x, y), yc.COffset(x, y)
			out.SetRGBA(x-crop.Min.X, y-crop.Min.Y, limitedToRGB(yc.Y[yi], yc.Cb[ci], yc.Cr[ci]))
		}
	}
	return out, nil
}

// limitedToRGB converts one limited-range BT.601 sample to RGB.
func limitedToRGB(y, cb, cr uint8) color.RGBA {
	fy := 1.164383 * (float64(y) - 16)
	fb, fr := float64(cb)-128, float64(cr)-128
	clip := func(v float64) uint8 {
		switch {
		case v <= 0:
			return 0
		case v >= 255:
			return 255
		}
		return uint8(v + 0.5)
	}
	return color.RGBA{clip(fy + 1.596027*fr), clip(fy - 0.391762*fb - 0.812968*fr), clip(fy + 2.017232*fb), 255}
}
