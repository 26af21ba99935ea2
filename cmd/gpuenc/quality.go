package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/bench"
)

func init() {
	commands = append(commands, command{"quality", "compare two videos: PSNR and SSIM per plane", runQuality})
}

// qualityReport is what `gpuenc quality --json` prints.
type qualityReport struct {
	Reference string      `json:"reference"`
	Distorted string      `json:"distorted"`
	Format    string      `json:"format"`
	Frames    int         `json:"frames"`
	PSNR      planeFigure `json:"psnr"`
	SSIM      planeFigure `json:"ssim"`
	// PSNR611 is the 6:1:1 weighted PSNR.
	PSNR611 bench.Float `json:"psnr_611"`
}

type planeFigure struct {
	Y   bench.Float `json:"y"`
	U   bench.Float `json:"u"`
	V   bench.Float `json:"v"`
	All bench.Float `json:"all"`
}

func runQuality(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quality", "REF DIST [--format yuv420p] [--json]", stderr)
	format := fs.String("format", "", "pixel format both videos are read in (default: the reference's)")
	asJSON := fs.Bool("json", false, "print JSON")
	// Let flags come after the two files, as the synopsis shows.
	var files []string
	rest := args
	for {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 2 {
		fs.Usage()
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := bench.CompareFiles(ctx, files[0], files[1], gpuenc.PixelFormat(*format))
	if err != nil {
		return err
	}
	r, err := gpuenc.OpenReader(files[0], gpuenc.ReaderOptions{Output: gpuenc.PixelFormat(*format)})
	if err != nil {
		return err
	}
	used := r.Info().Output
	r.Close()
	q := qualityReport{Reference: files[0], Distorted: files[1], Format: string(used), Frames: res.Frames,
		PSNR:    planeFigure{bench.Float(res.PSNR[0]), bench.Float(res.PSNR[1]), bench.Float(res.PSNR[2]), bench.Float(res.PSNRAvg)},
		SSIM:    planeFigure{bench.Float(res.SSIM[0]), bench.Float(res.SSIM[1]), bench.Float(res.SSIM[2]), bench.Float(res.SSIMAll)},
		PSNR611: bench.Float(res.PSNR611)}
	if res.Planes == 1 {
		q.PSNR.U, q.PSNR.V, q.SSIM.U, q.SSIM.V = 0, 0, 0, 0
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(q)
	}
	fmt.Fprintf(stdout, "%d frames compared in %s\n", q.Frames, q.Format)
	fmt.Fprintf(stdout, "PSNR y:%s u:%s v:%s average:%s weighted(6:1:1):%s\n", fmtF(q.PSNR.Y, 2), fmtF(q.PSNR.U, 2), fmtF(q.PSNR.V, 2), fmtF(q.PSNR.All, 2), fmtF(q.PSNR611, 2))
	fmt.Fprintf(stdout, "SSIM Y:%s U:%s V:%s All:%s\n", fmtF(q.SSIM.Y, 6), fmtF(q.SSIM.U, 6), fmtF(q.SSIM.V, 6), fmtF(q.SSIM.All, 6))
	return nil
}

// fmtF formats a figure with the given decimals, "inf" for +Inf.
func fmtF(f bench.Float, decimals int) string { return f.Format(decimals) }
