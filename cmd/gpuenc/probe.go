package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gpuenc/gpuenc"
)

func init() {
	commands = append(commands, command{"probe", "show FFmpeg's build, the encoders, and which are usable on this machine", runProbe})
}

func runProbe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("probe", "[--json]", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	p := gpuenc.Probe()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(stdout, "FFmpeg %s\n", p.FFmpeg["ffmpeg"])
	keys := make([]string, 0, len(p.FFmpeg))
	for k := range p.FFmpeg {
		if strings.HasPrefix(k, "lib") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %-12s %s\n", k, p.FFmpeg[k])
	}
	fmt.Fprintf(stdout, "  configuration: %s\n\n", p.FFmpeg["configuration"])
	fmt.Fprintln(stdout, "Video encoders:")
	for _, e := range p.Encoders {
		state := "usable"
		if !e.Usable {
			state = "not usable"
		}
		fmt.Fprintf(stdout, "  %-12s %-5s %-10s %s\n", e.Name, e.Codec, state, e.Reason)
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, p.GPUText)
	fmt.Fprintln(stdout, "\nAutomatic choice (--encoder h264|hevc|av1) for 1920x1080 frames:")
	for _, c := range p.Choices {
		if c.Encoder == "" {
			fmt.Fprintf(stdout, "  %-5s none usable: %s\n", c.Codec, strings.Join(c.Passed, "; "))
			continue
		}
		fmt.Fprintf(stdout, "  %-5s %s (%s)\n", c.Codec, c.Encoder, c.Reason)
	}
	return nil
}
