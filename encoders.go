package gpuenc

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/gpuenc/gpuenc/internal/av"
)

// Choice is the encoder gpuenc picked for a codec, and why.
type Choice struct {
	Codec   string   // "h264", "hevc", "av1"
	Encoder string   // the encoder chosen
	Reason  string   // why it was chosen
	Passed  []string // the better encoders that are not usable here, each with its reason
}

// candidates lists, per codec, the encoders in order of preference: NVENC,
// then gpuenc's own GPU encoder, then software.
var candidates = map[string][]string{
	"h264": {"h264_nvenc", "h264_cuda", "libx264", "h264_go"},
	"hevc": {"hevc_nvenc"},
	"av1":  {"av1_nvenc"},
}

// h264CUDACrossover lists, by frame size in luma samples, the most CPU
// cores on which h264_cuda encodes faster than libx264 (default settings
// of each). Both use the host's cores (h264_cuda for the stages that stay
// in Go), and libx264 gains more from them at small frames, so the
// crossover depends on the cores and on the frame size. Measured at
// commit 7151c57 with `taskset` on an NVIDIA H200 machine with 16 cores
// and on one with 64 (bench/results/h200-choice/7151c57, h264cuda/NOTES.md
// "Which encoder h264 chooses"): 360p faster on 6 cores, level on 8 from
// CPU frames (faster from CUDA frames), slower on 12 and 16; 720p faster
// on 12 to 32 cores (1.12–1.26× from CPU frames), where libx264 no longer
// gains from cores, so 64; 1080p faster on 16 to 48 (1.21–1.41×), libx264
// gaining 0.4 fps a core from 24 to 48, so 96; 2160p 2.1–2.3× faster on
// 24 and 48, so 128.
var h264CUDACrossover = [...]struct{ samples, cores int }{
	{640 * 360, 8},
	{1280 * 720, 64},
	{1920 * 1080, 96},
	{3840 * 2160, 128},
}

// h264CUDAMaxCores is the most CPU cores on which h264_cuda is expected
// to beat libx264 at frames of samples luma samples: the table above,
// linear in between, in proportion below its first size and flat above
// its last.
func h264CUDAMaxCores(samples int) int {
	t := h264CUDACrossover
	if samples <= t[0].samples {
		return t[0].cores * samples / t[0].samples
	}
	for i := 1; i < len(t); i++ {
		if samples <= t[i].samples {
			a, b := t[i-1], t[i]
			return a.cores + (b.cores-a.cores)*(samples-a.samples)/(b.samples-a.samples)
		}
	}
	return t[len(t)-1].cores
}

// h264CUDAFaster reports whether h264_cuda is expected to encode
// width×height frames faster than libx264 on cores CPU cores.
func h264CUDAFaster(width, height, cores int) bool {
	return cores <= h264CUDAMaxCores(width*height)
}

// passOver returns why ChooseEncoderFor passes over a usable encoder for
// width×height frames, or "".
func passOver(name string, width, height int) string {
	if name == "h264_cuda" {
		cores := runtime.NumCPU()
		if !h264CUDAFaster(width, height, cores) {
			return fmt.Sprintf("usable, but libx264 on this machine's %d CPU cores is faster at %dx%d (h264_cuda is chosen at this size on up to %d cores; ask for it by name)",
				cores, width, height, h264CUDAMaxCores(width*height))
		}
	}
	return ""
}

// usability says whether an encoder can run on this machine, and if not,
// why. Packages for hardware encoders register their checks in
// usabilityChecks.
var (
	usabilityMu     sync.Mutex
	usabilityChecks = map[string]func() (bool, string){}
	usabilityCache  = map[string]usable{}
)

type usable struct {
	ok     bool
	reason string
}

// Usable reports whether the named encoder can encode on this machine, and
// if not, why (e.g. "NVIDIA H100 80GB HBM3 has no NVENC hardware encoder").
// Software encoders are always usable. The answer is cached.
func Usable(encoder string) (bool, string) {
	usabilityMu.Lock()
	defer usabilityMu.Unlock()
	if u, ok := usabilityCache[encoder]; ok {
		return u.ok, u.reason
	}
	u := usable{ok: true, reason: "software encoder"}
	if check, ok := usabilityChecks[encoder]; ok {
		u.ok, u.reason = check()
	} else if _, own := ownEncoders[encoder]; !own && !slices.Contains(av.Encoders(), encoder) {
		u = usable{reason: "not in this build"}
	}
	usabilityCache[encoder] = u
	return u.ok, u.reason
}

// ChooseEncoder picks the best encoder usable here for a codec ("h264",
// "hevc", "av1") for frames of unknown size, taken as 1920×1080; see
// ChooseEncoderFor.
func ChooseEncoder(codec string) (Choice, error) {
	return ChooseEncoderFor(codec, 1920, 1080)
}

// ChooseEncoderFor picks the best encoder usable here for a codec
// ("h264", "hevc", "av1") and width×height frames: NVENC first; then, on
// a GPU without NVENC, gpuenc's h264_cuda where it is expected to be
// faster than libx264 on this machine's CPU cores (large frames, few
// cores); then software.
func ChooseEncoderFor(codec string, width, height int) (Choice, error) {
	list, ok := candidates[strings.ToLower(codec)]
	if !ok {
		return Choice{}, fmt.Errorf("%w: %q is not a codec gpuenc chooses encoders for (h264, hevc, av1)", ErrUnknownEncoder, codec)
	}
	c := Choice{Codec: codec}
	for _, name := range list {
		if _, own := ownEncoders[name]; !own && !slices.Contains(av.Encoders(), name) {
			continue
		}
		ok, why := Usable(name)
		if ok {
			if reason := passOver(name, width, height); reason != "" {
				ok, why = false, reason
			}
		}
		if ok {
			c.Encoder = name
			c.Reason = why
			if len(c.Passed) > 0 {
				c.Reason = fmt.Sprintf("%s; passed over: %s", why, strings.Join(c.Passed, "; "))
			}
			return c, nil
		}
		c.Passed = append(c.Passed, name+": "+why)
	}
	return c, &EncoderError{Encoder: codec, Reason: "no usable encoder on this machine: " + strings.Join(c.Passed, "; ")}
}

// resolveEncoder turns a stream's Encoder field into an encoder name for
// width×height frames.
func resolveEncoder(name string, width, height int) (string, error) {
	if _, ok := candidates[strings.ToLower(name)]; ok {
		c, err := ChooseEncoderFor(name, width, height)
		if err != nil {
			return "", err
		}
		return c.Encoder, nil
	}
	if _, own := ownEncoders[name]; own {
		return name, nil
	}
	all := av.Encoders()
	if slices.Contains(all, name) {
		return name, nil
	}
	return "", &EncoderError{Encoder: name, Reason: fmt.Sprintf("no such encoder (available: %s, or h264/hevc/av1 to choose automatically)", strings.Join(EncoderNames(), ", ")), Err: ErrUnknownEncoder}
}

// EncoderNames lists every encoder this build has: FFmpeg's and gpuenc's
// own.
func EncoderNames() []string {
	names := av.Encoders()
	for n := range ownEncoders {
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// nvencUsable answers for the NVENC encoders; hwaccel.go replaces it with
// a probe that opens a real encode session.
var nvencUsable = func(encoder string) (bool, string) {
	return false, "no NVIDIA driver found (libcuda.so.1 could not be loaded)"
}

func init() {
	for _, name := range []string{"h264_nvenc", "hevc_nvenc", "av1_nvenc"} {
		usabilityChecks[name] = func() (bool, string) { return nvencUsable(name) }
	}
}
