// Command gpuenc encodes video from lavfi sources, media files or raw frames
// with FFmpeg's encoders, NVIDIA's NVENC or gpuenc's own H.264 encoders, and
// benchmarks them.
//
//	gpuenc probe [--json]
//	gpuenc encode --src SPEC [flags] -o OUT
//	gpuenc quality REF DIST
//	gpuenc bench [flags]
//
// Run "gpuenc COMMAND -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gpuenc/gpuenc"
)

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(stderr, "gpuenc %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gpuenc: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// errUsage marks an error already reported with the flag set's usage.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "gpuenc: GPU-accelerated video encoding.\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"gpuenc COMMAND -h\" for a command's flags.")
}

// newFlags makes a flag set that reports errors to stderr and returns them.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gpuenc "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gpuenc %s %s\n\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, mapping errors to errUsage (already printed).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// keyValues is a repeatable key=value flag.
type keyValues map[string]string

func (kv keyValues) String() string {
	var parts []string
	for k, v := range kv {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (kv keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	kv[k] = v
	return nil
}

// logLevelFlag sets FFmpeg's log level by name.
func setLogLevel(name string) error {
	levels := map[string]gpuenc.LogLevel{"quiet": gpuenc.LogQuiet, "panic": gpuenc.LogPanic, "fatal": gpuenc.LogFatal, "error": gpuenc.LogError,
		"warning": gpuenc.LogWarning, "info": gpuenc.LogInfo, "verbose": gpuenc.LogVerbose, "debug": gpuenc.LogDebug, "trace": gpuenc.LogTrace}
	l, ok := levels[name]
	if !ok {
		return fmt.Errorf("unknown log level %q (quiet, error, warning, info, verbose, debug, trace)", name)
	}
	gpuenc.SetLogLevel(l)
	return nil
}
