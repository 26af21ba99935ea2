package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/gpuenc/gpuenc"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func init() {
	commands = append(commands, command{"encode", "encode a lavfi source, a media file or raw frames", runEncode})
}

func runEncode(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("encode", "--src SPEC [flags] -o OUT", stderr)
	src := fs.String("src", "", "source: a lavfi graph (with --src-format lavfi), a media file, or raw frames (\"-\": standard input)")
	srcFormat := fs.String("src-format", "", "source format: lavfi, rawvideo, or empty to probe a media file")
	size := fs.String("size", "", "raw input size WxH")
	rate := fs.String("rate", "30", "raw input frame rate (30, 29.97, 30000/1001)")
	format := fs.String("format", "", "input pixel format: the raw frames' format, or the format frames are read in and given to the writer (default: the source's)")
	out := fs.String("o", "", "output path, or - for standard output")
	container := fs.String("container", "", "container: mp4, mov, mkv, h264, hevc, nut (default: from the output's extension)")
	fragmented := fs.Bool("fragmented", false, "write fragmented mp4/mov even to a seekable file")
	encoder := fs.String("encoder", "libx264", "encoder (libx264, h264_nvenc, hevc_nvenc, av1_nvenc, h264_go, ...) or codec (h264, hevc, av1) to choose the best usable here")
	encFormat := fs.String("encoder-format", "", "the encoder's pixel format (converted with swscale when it differs from --format)")
	opts := keyValues{}
	fs.Var(opts, "encoder-option", "encoder option key=value (repeatable), e.g. preset=veryfast, crf=23")
	frames := fs.Int("frames", 0, "stop after this many frames (0: all)")
	chunk := fs.Int("chunk", 32, "frames per read/write chunk")
	hwaccel := fs.String("hwaccel", "", "run the encoder's input on a GPU: cuda:N")
	recon := fs.String("recon", "", "write the encoder's reconstruction (raw yuv420p) to this file (h264_go, h264_cuda)")
	matrix := fs.String("color-matrix", "", "colour matrix written into the stream (bt709, bt470bg, smpte170m, bt2020nc, ...)")
	crange := fs.String("color-range", "", "colour range: tv (limited) or pc (full)")
	primaries := fs.String("color-primaries", "", "colour primaries (bt709, bt2020, ...)")
	transfer := fs.String("color-transfer", "", "transfer characteristic (bt709, smpte2084, arib-std-b67, ...)")
	logLevel := fs.String("log-level", "error", "FFmpeg log level: quiet, error, warning, info, verbose, debug")
	progress := fs.Bool("progress", true, "show a progress bar when standard error is a terminal")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags go before them?)", fs.Args())
	}
	if *src == "" || *out == "" {
		fs.Usage()
		return errUsage
	}
	if err := setLogLevel(*logLevel); err != nil {
		return err
	}

	if *srcFormat != "rawvideo" {
		// --size and --rate describe raw frames only: say so rather than
		// let FFmpeg probe a .yuv file and fail with "Picture size 0x0".
		var rawOnly []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "size" || f.Name == "rate" {
				rawOnly = append(rawOnly, "--"+f.Name)
			}
		})
		if len(rawOnly) > 0 {
			verb := "is"
			if len(rawOnly) > 1 {
				verb = "are"
			}
			return fmt.Errorf("%s %s for raw frames: add --src-format rawvideo and --format (the frames' pixel format), or drop it for a media file or lavfi source", strings.Join(rawOnly, " and "), verb)
		}
	}
	ropts := gpuenc.ReaderOptions{Format: *srcFormat, Output: gpuenc.PixelFormat(*format)}
	if *srcFormat == "rawvideo" {
		w, h, err := parseSize(*size)
		if err != nil {
			return err
		}
		r, err := gpuenc.ParseRational(*rate)
		if err != nil {
			return err
		}
		if *format == "" {
			return fmt.Errorf("raw input needs --format (its pixel format)")
		}
		ropts.Width, ropts.Height, ropts.FrameRate, ropts.PixelFormat = w, h, r, gpuenc.PixelFormat(*format)
	}
	reader, err := gpuenc.OpenReader(*src, ropts)
	if err != nil {
		return err
	}
	defer reader.Close()
	info := reader.Info()

	if c, err := chooseIfCodec(*encoder, info.Width, info.Height, stderr); err != nil {
		return err
	} else if c != "" {
		*encoder = c
	}
	cfg := gpuenc.StreamConfig{
		Width: info.Width, Height: info.Height, FrameRate: info.FrameRate, Format: info.Output,
		Encoder: *encoder, EncoderFormat: gpuenc.PixelFormat(*encFormat), Options: opts,
		Color:   gpuenc.Color{Matrix: *matrix, Range: *crange, Primaries: *primaries, Transfer: *transfer},
		HWAccel: *hwaccel,
	}
	var reconFile *os.File
	if *recon != "" {
		if reconFile, err = os.Create(*recon); err != nil {
			return err
		}
		defer reconFile.Close()
		cfg.Reconstruction = reconFile
	}

	wopts := gpuenc.WriterOptions{Container: *container, Fragmented: *fragmented}
	var w *gpuenc.Writer
	var counter *countingWriter
	if *out == "-" {
		counter = &countingWriter{w: stdout}
		w, err = gpuenc.NewWriter(counter, wopts)
	} else {
		w, err = gpuenc.Create(*out, wopts)
	}
	if err != nil {
		return err
	}
	if _, err := w.AddVideoStream(cfg); err != nil {
		w.Close()
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	total := *frames
	if total == 0 && info.Frames > 0 {
		total = int(info.Frames)
	}
	bar := newBar(total, *progress, stderr)
	start := time.Now()
	n := 0
	for *frames == 0 || n < *frames {
		want := *chunk
		if *frames > 0 {
			want = min(want, *frames-n)
		}
		batch, err := reader.Read(ctx, want)
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return err
		}
		if err := w.Write(ctx, 0, batch); err != nil {
			w.Close()
			return err
		}
		n += batch.Len()
		if bar != nil {
			bar.Add(batch.Len())
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	var bytes int64
	if counter != nil {
		bytes = counter.n
	} else if st, err := os.Stat(*out); err == nil {
		bytes = st.Size()
	}
	seconds := float64(n) / info.FrameRate.Float()
	fmt.Fprintf(stderr, "encoded %d frames with %s in %.3f s: %.1f fps, %d bytes, %.0f kb/s\n",
		n, *encoder, elapsed.Seconds(), float64(n)/elapsed.Seconds(), bytes, float64(bytes)*8/seconds/1000)
	return nil
}

// chooseIfCodec resolves a codec name to an encoder for width×height
// frames and says why.
func chooseIfCodec(name string, width, height int, stderr io.Writer) (string, error) {
	switch strings.ToLower(name) {
	case "h264", "hevc", "av1":
	default:
		return "", nil
	}
	c, err := gpuenc.ChooseEncoderFor(name, width, height)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "gpuenc: %s: chose %s (%s)\n", name, c.Encoder, c.Reason)
	return c.Encoder, nil
}

func parseSize(s string) (int, int, error) {
	ws, hs, ok := strings.Cut(s, "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !ok || err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("size %q is not WxH (e.g. 1920x1080)", s)
	}
	return w, h, nil
}

func newBar(total int, enabled bool, stderr io.Writer) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !enabled || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	if total <= 0 {
		total = -1
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("encoding"),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("frames"), progressbar.OptionThrottle(100*time.Millisecond))
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
