package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/gpuenc/gpuenc/bench"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

func init() {
	commands = append(commands, command{"bench", "benchmark the encoders as the torchaudio NVENC study did, with measured quality", runBench})
}

// benchContext is the context a benchmark runs under; tests replace it.
var benchContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[flags]", stderr)
	quick := fs.Bool("quick", false, "a profile that finishes within five minutes on 2 cores: 30 frames, 3 repeats after 1 warm-up, libx264 threads 1 and all cores (flags given explicitly still apply)")
	resFlag := fs.String("res", "360,720,1080", "resolutions: heights (16:9) or WxH, comma-separated")
	frames := fs.Int("frames", 120, "frames per clip")
	repeats := fs.Int("repeats", 3, "timed runs per configuration")
	warmup := fs.Int("warmup", 1, "untimed runs before the timed ones")
	encoders := fs.String("encoders", "", "encoders, comma-separated, each a name or name:key=value:... (e.g. libx264:preset=ultrafast) (default: "+strings.Join(bench.DefaultEncoders, ",")+"; those not usable here get a row saying why)")
	threads := fs.String("threads", "", "libx264 thread counts (default: 1,4,8 and this machine's cores)")
	opts := keyValues{}
	fs.Var(opts, "encoder-option", "option key=value given to every encoder (repeatable)")
	source := fs.String("source", "testsrc2", "lavfi source drawn at each resolution, or a media file")
	format := fs.String("format", "yuv444p", "pixel format of the frames given to the encoders (the study: yuv444p)")
	out := fs.String("out", "", "report folder (default out/bench-YYYYmmdd-HHMMSS)")
	sweep := fs.Bool("sweep", false, "rate-distortion sweeps and BD-rates against --anchor")
	anchor := fs.String("anchor", "libx264:preset=veryfast", "the sweeps' anchor: encoder:key=value:...")
	study := fs.Bool("study-timing", false, "stop the clock before Close, as the study did (flush and muxing excluded)")
	asJSON := fs.Bool("json", false, "print the results as JSON on standard output")
	logLevel := fs.String("log-level", "error", "FFmpeg log level: quiet, error, warning, info, verbose, debug")
	progress := fs.Bool("progress", true, "show a progress bar when standard error is a terminal")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := setLogLevel(*logLevel); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cfg := bench.DefaultConfig()
	if *quick {
		cfg = bench.QuickConfig()
	}
	var err error
	if !*quick || set["res"] {
		if cfg.Resolutions, err = bench.ParseResolutions(*resFlag); err != nil {
			return err
		}
	}
	if !*quick || set["frames"] {
		cfg.Frames = *frames
	}
	if !*quick || set["repeats"] {
		cfg.Repeats = *repeats
	}
	if !*quick || set["warmup"] {
		cfg.Warmup = *warmup
	}
	if *encoders != "" {
		cfg.Encoders = nil
		for _, e := range strings.Split(*encoders, ",") {
			if e = strings.TrimSpace(e); e != "" {
				cfg.Encoders = append(cfg.Encoders, e)
			}
		}
	}
	if *threads != "" {
		if cfg.Threads, err = bench.ParseInts("threads", *threads); err != nil {
			return err
		}
	}
	if len(opts) > 0 {
		cfg.Options = opts
	}
	cfg.Source, cfg.Format, cfg.Sweep, cfg.StudyTiming = *source, *format, *sweep, *study
	if cfg.Anchor, err = bench.ParseEncoderSpec(*anchor); err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = "out/bench-" + time.Now().Format("20060102-150405")
	}

	var bar *progressbar.ProgressBar
	if f, ok := stderr.(*os.File); *progress && ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("bench"), progressbar.OptionThrottle(100*time.Millisecond))
		cfg.Progress = func(done, total int, what string) {
			bar.ChangeMax(total)
			bar.Describe(what)
			bar.Set(done)
		}
	}
	ctx, stop := benchContext()
	defer stop()
	rep, runErr := bench.Run(ctx, cfg)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	if rep == nil {
		return runErr
	}
	rep.CommandLine = append([]string{"gpuenc", "bench"}, args...)
	if err := rep.WriteDir(dir); err != nil {
		return errors.Join(runErr, err)
	}
	if *asJSON {
		if err := rep.WriteJSON(stdout); err != nil {
			return err
		}
	} else {
		if err := rep.WriteTable(stdout); err != nil {
			return err
		}
	}
	if rep.Interrupted {
		fmt.Fprintf(stderr, "gpuenc bench: interrupted; the report of the %d rows finished is in %s\n", len(rep.Rows), dir)
		return runErr
	}
	fmt.Fprintf(stderr, "gpuenc bench: report in %s (%s)\n", dir, bench.MarkdownFile)
	return runErr
}
