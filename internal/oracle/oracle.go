// Package oracle runs independent H.264 decoders for gpuenc's tests: Debian's
// FFmpeg command-line tools (/usr/bin/ffmpeg, /usr/bin/ffprobe) and Cisco's
// openh264 decoder (through a tiny C program compiled on first use against
// libopenh264). Tests compare an encoder's own reconstruction with what these
// decoders make of its stream, byte for byte.
//
// All decoded pictures are returned as tightly packed planar frames (for
// yuv420p: Y, then U, then V, chroma planes of size ceil(w/2)×ceil(h/2)).
package oracle

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the tools the oracle runs. They are variables so that a test
// machine with another layout can point them elsewhere.
var (
	FFmpegPath  = "/usr/bin/ffmpeg"
	FFprobePath = "/usr/bin/ffprobe"
	GCCPath     = "gcc"
)

// ErrToolMissing reports that a decoder the oracle needs is not installed.
var ErrToolMissing = errors.New("oracle: tool missing")

// ToolError is a failed run of an external tool: which tool, its arguments,
// the underlying error and the tail of what it wrote on stderr.
type ToolError struct {
	Tool   string
	Args   []string
	Err    error
	Stderr string
}

func (e *ToolError) Error() string {
	return fmt.Sprintf("oracle: %s %s: %v: %s", e.Tool, strings.Join(e.Args, " "), e.Err, e.Stderr)
}

func (e *ToolError) Unwrap() error { return e.Err }

// FormatError reports output the oracle could not interpret (a frame size
// that does not divide the output, an unknown pixel format, ...).
type FormatError struct{ Msg string }

func (e *FormatError) Error() string { return "oracle: " + e.Msg }

// Frames is a decoded sequence: every frame holds one picture of Width×Height
// in PixFmt, tightly packed.
type Frames struct {
	Width, Height int
	PixFmt        string
	Frames        [][]byte
}

// FrameSize returns the number of bytes of one tightly packed w×h picture in
// pixel format pixfmt, or 0 for a format the oracle does not know.
func FrameSize(pixfmt string, w, h int) int {
	cw, ch := (w+1)/2, (h+1)/2
	switch pixfmt {
	case "yuv420p", "yuvj420p":
		return w*h + 2*cw*ch
	case "nv12", "nv21":
		return w*h + 2*cw*ch
	case "yuv422p", "yuvj422p":
		return w*h + 2*cw*h
	case "yuv444p", "yuvj444p":
		return 3 * w * h
	case "gray":
		return w * h
	case "rgb24", "bgr24":
		return 3 * w * h
	case "rgba", "bgra", "rgb0", "bgr0":
		return 4 * w * h
	}
	return 0
}

func run(ctx context.Context, stdin []byte, tool string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, tool, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil && stderr.Len() > 0 && (tool == FFmpegPath || tool == FFprobePath) {
		// Run with -v error: anything logged is a decoding problem that
		// FFmpeg concealed.
		err = errors.New("decoder logged errors")
	}
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w: %w", ErrToolMissing, err)
		}
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, &ToolError{Tool: tool, Args: args, Err: err, Stderr: tail}
	}
	return stdout.Bytes(), nil
}

// StreamInfo is what ffprobe reports about the first video stream of a file,
// with the number of frames it actually decoded.
type StreamInfo struct {
	CodecName      string `json:"codec_name"`
	Profile        string `json:"profile"`
	Width          int    `json:"width"`
	Height         int    `json:"height"`
	PixFmt         string `json:"pix_fmt"`
	ColorRange     string `json:"color_range"`
	ColorSpace     string `json:"color_space"`
	ColorTransfer  string `json:"color_transfer"`
	ColorPrimaries string `json:"color_primaries"`
	RFrameRate     string `json:"r_frame_rate"`
	NbReadFrames   int    `json:"-"`
	Level          int    `json:"level"`
}

// FFprobe describes the first video stream of the file at path, decoding it
// entirely to count its frames.
func FFprobe(ctx context.Context, path string) (*StreamInfo, error) {
	return ffprobe(ctx, nil, "-i", path)
}

// FFprobeStream is FFprobe for an in-memory stream in the given FFmpeg input
// format ("h264" for Annex B).
func FFprobeStream(ctx context.Context, stream []byte, inputFormat string) (*StreamInfo, error) {
	return ffprobe(ctx, stream, "-f", inputFormat, "-i", "-")
}

func ffprobe(ctx context.Context, stdin []byte, input ...string) (*StreamInfo, error) {
	args := append([]string{"-v", "error", "-count_frames", "-select_streams", "v:0", "-show_streams", "-of", "json"}, input...)
	out, err := run(ctx, stdin, FFprobePath, args...)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Streams []struct {
			StreamInfo
			NbReadFrames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, &FormatError{Msg: "ffprobe json: " + err.Error()}
	}
	if len(doc.Streams) == 0 {
		return nil, &FormatError{Msg: "ffprobe found no video stream"}
	}
	s := doc.Streams[0]
	info := s.StreamInfo
	info.NbReadFrames, _ = strconv.Atoi(s.NbReadFrames)
	return &info, nil
}

// FFmpegDecode decodes an in-memory stream (inputFormat as FFmpeg's -f names
// it, "h264" for Annex B) with Debian's ffmpeg and returns every frame in the
// decoder's own 4:2:0 layout without any conversion (yuv420p or yuvj420p
// bytes, which are laid out alike). Any error FFmpeg logs fails the call.
func FFmpegDecode(ctx context.Context, stream []byte, inputFormat string) (*Frames, error) {
	info, err := FFprobeStream(ctx, stream, inputFormat)
	if err != nil {
		return nil, err
	}
	if info.PixFmt != "yuv420p" && info.PixFmt != "yuvj420p" {
		return nil, &FormatError{Msg: "unexpected decoder pixel format " + info.PixFmt}
	}
	out, err := run(ctx, stream, FFmpegPath, "-v", "error", "-xerror", "-f", inputFormat, "-i", "-",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", info.PixFmt, "-")
	if err != nil {
		return nil, err
	}
	return split(out, info.PixFmt, info.Width, info.Height)
}

// FFmpegDecodeFile decodes the first video stream of the file at path and
// converts it to pixfmt with FFmpeg's default scaler (no conversion happens
// when pixfmt is the stream's own format).
func FFmpegDecodeFile(ctx context.Context, path, pixfmt string) (*Frames, error) {
	info, err := FFprobe(ctx, path)
	if err != nil {
		return nil, err
	}
	if FrameSize(pixfmt, 1, 1) == 0 {
		return nil, &FormatError{Msg: "unsupported pixel format " + pixfmt}
	}
	out, err := run(ctx, nil, FFmpegPath, "-v", "error", "-xerror", "-i", path, "-map", "0:v:0",
		"-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pixfmt, "-")
	if err != nil {
		return nil, err
	}
	return split(out, pixfmt, info.Width, info.Height)
}

func split(out []byte, pixfmt string, w, h int) (*Frames, error) {
	size := FrameSize(pixfmt, w, h)
	if size == 0 || len(out)%size != 0 {
		return nil, &FormatError{Msg: fmt.Sprintf("%d bytes of output is not a whole number of %dx%d %s frames", len(out), w, h, pixfmt)}
	}
	f := &Frames{Width: w, Height: h, PixFmt: pixfmt}
	for off := 0; off < len(out); off += size {
		f.Frames = append(f.Frames, out[off:off+size:off+size])
	}
	return f, nil
}

//go:embed openh264dec/main.c
var openh264Source []byte

//go:embed openh264enc/main.c
var openh264EncSource []byte

// tools are the C programs built on first use, by name.
var tools struct {
	sync.Mutex
	built map[string]*toolBuild
}

type toolBuild struct {
	once sync.Once
	path string
	err  error
}

// buildTool compiles a C program against libopenh264 once per process into
// the user cache directory (keyed by the source's hash) and returns its
// path.
func buildTool(name string, source []byte) (string, error) {
	tools.Lock()
	if tools.built == nil {
		tools.built = map[string]*toolBuild{}
	}
	b := tools.built[name]
	if b == nil {
		b = &toolBuild{}
		tools.built[name] = b
	}
	tools.Unlock()
	b.once.Do(func() {
		sum := sha256.Sum256(source)
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		dir = filepath.Join(dir, "gpuenc-oracle")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.err = err
			return
		}
		bin := filepath.Join(dir, name+"-"+hex.EncodeToString(sum[:8]))
		if _, err := os.Stat(bin); err == nil {
			b.path = bin
			return
		}
		// Per-process names: test binaries of several packages may build
		// at the same time; the rename publishes the result atomically.
		src := fmt.Sprintf("%s.%d.c", bin, os.Getpid())
		if err := os.WriteFile(src, source, 0o644); err != nil {
			b.err = err
			return
		}
		defer os.Remove(src)
		tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
		if _, err := run(context.Background(), nil, GCCPath, "-O2", "-o", tmp, src, "-lopenh264"); err != nil {
			b.err = fmt.Errorf("%w: building %s (is libopenh264-dev installed?): %w", ErrToolMissing, name, err)
			return
		}
		if err := os.Rename(tmp, bin); err != nil {
			b.err = err
			return
		}
		b.path = bin
	})
	return b.path, b.err
}

func openH264Decoder() (string, error) { return buildTool("openh264dec", openh264Source) }

// OpenH264Encode encodes yuv420p frames (w×h, tightly packed, one after
// another) with openh264's encoder at a constant QP on the given number of
// threads. It is a speed and quality peer for benchmarks, not an oracle.
// It returns the Annex B stream and the time the encoder itself took (the
// program reads every frame before its clock starts).
func OpenH264Encode(ctx context.Context, raw []byte, w, h, qp, threads int) ([]byte, time.Duration, error) {
	bin, err := buildTool("openh264enc", openh264EncSource)
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.CommandContext(ctx, bin, strconv.Itoa(w), strconv.Itoa(h), strconv.Itoa(qp), strconv.Itoa(threads))
	cmd.Stdin = bytes.NewReader(raw)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, &ToolError{Tool: "openh264enc", Err: err, Stderr: stderr.String()}
	}
	// openh264 logs warnings on stderr too; the timing is the last line.
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var ns int64
	if _, err := fmt.Sscanf(lines[len(lines)-1], "ENCODE_NS %d", &ns); err != nil {
		return nil, 0, &FormatError{Msg: "openh264enc: no timing line in " + strconv.Quote(stderr.String())}
	}
	return stdout.Bytes(), time.Duration(ns), nil
}

// OpenH264Decode decodes an Annex B stream with openh264 and returns its
// pictures as yuv420p frames.
func OpenH264Decode(ctx context.Context, stream []byte) (*Frames, error) {
	bin, err := openH264Decoder()
	if err != nil {
		return nil, err
	}
	out, err := run(ctx, stream, bin)
	if err != nil {
		return nil, err
	}
	f := &Frames{PixFmt: "yuv420p"}
	for len(out) > 0 {
		nl := bytes.IndexByte(out, '\n')
		var w, h int
		if nl < 0 {
			return nil, &FormatError{Msg: "openh264dec: truncated frame header"}
		}
		if _, err := fmt.Sscanf(string(out[:nl]), "FRAME %d %d", &w, &h); err != nil {
			return nil, &FormatError{Msg: "openh264dec: bad frame header " + strconv.Quote(string(out[:nl]))}
		}
		out = out[nl+1:]
		size := FrameSize("yuv420p", w, h)
		if len(out) < size {
			return nil, &FormatError{Msg: "openh264dec: truncated frame"}
		}
		if f.Width == 0 {
			f.Width, f.Height = w, h
		} else if f.Width != w || f.Height != h {
			return nil, &FormatError{Msg: "openh264dec: frame size changed"}
		}
		f.Frames = append(f.Frames, out[:size:size])
		out = out[size:]
	}
	return f, nil
}

// Available reports whether both decoders can run on this machine, and if
// not, why.
func Available() error {
	for _, p := range []string{FFmpegPath, FFprobePath} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%w: %w", ErrToolMissing, err)
		}
	}
	_, err := openH264Decoder()
	return err
}

// Require fails the test at once, with a message saying what to install,
// when the decoders are missing. CI installs them (scripts/install-deps.sh),
// so a missing tool is a broken machine, not a reason to skip.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatalf("decoder oracle unavailable (run scripts/install-deps.sh): %v", err)
	}
}
