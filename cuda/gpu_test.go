package cuda

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"
)

// gpuContext opens device 0 or skips the test when there is no GPU.
func gpuContext(t testing.TB) *Context {
	t.Helper()
	if err := Load(); err != nil {
		if errors.Is(err, ErrNoDriver) || errors.Is(err, ErrNoDevice) {
			t.Skipf("GPU test: run `make gpu-test` on a machine with an NVIDIA GPU (%v)", err)
		}
		t.Fatal(err)
	}
	ctx, err := OpenContext(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctx.Close(); err != nil {
			t.Error(err)
		}
	})
	return ctx
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestGPUDeviceProperties(t *testing.T) {
	gpuContext(t)
	n, err := DeviceCount()
	if err != nil || n < 1 {
		t.Fatalf("DeviceCount = %d, %v", n, err)
	}
	busRE := regexp.MustCompile(`^[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]$`)
	uuidRE := regexp.MustCompile(`^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		t.Logf("device %d: %q CC %s, %d SMs, %d MiB, L2 %d KiB, bus %s, %s, CUDA %s, driver %q, max threads/block %d",
			d.Index, d.Name, d.ComputeCapability(), d.Multiprocessors, d.TotalMemory>>20, d.L2CacheBytes>>10,
			d.PCIBusID, d.UUID, FormatCUDAVersion(d.CUDAVersion), d.DriverVersion, d.MaxThreadsPerBlock)
		if d.Name == "" || d.TotalMemory < 1<<30 || d.ComputeMajor < 3 || d.Multiprocessors < 1 ||
			d.L2CacheBytes < 1 || d.MaxThreadsPerBlock < 512 {
			t.Errorf("implausible properties: %+v", d)
		}
		if !busRE.MatchString(d.PCIBusID) {
			t.Errorf("PCI bus id %q", d.PCIBusID)
		}
		if !uuidRE.MatchString(d.UUID) {
			t.Errorf("UUID %q", d.UUID)
		}
		if d.CUDAVersion < 11000 {
			t.Errorf("CUDA version %d", d.CUDAVersion)
		}
	}
	if _, err := Device(n); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Device(%d) = %v, want ErrInvalidArgument", n, err)
	}
}

func TestGPUContextIsPrimaryAndDo(t *testing.T) {
	ctx := gpuContext(t)
	if ctx.Handle() == 0 {
		t.Fatal("zero handle")
	}
	other, err := OpenContext(0)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.Handle() != ctx.Handle() {
		t.Errorf("two OpenContext(0) gave different contexts: %#x %#x; the primary context should be shared", other.Handle(), ctx.Handle())
	}
	var inside uintptr
	if err := ctx.Do(func() error {
		var err error
		inside, err = currentContext()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inside != ctx.Handle() {
		t.Errorf("current context inside Do = %#x, want %#x", inside, ctx.Handle())
	}
	sentinel := errors.New("from f")
	if err := ctx.Do(func() error { return sentinel }); err != sentinel {
		t.Errorf("Do did not return f's error: %v", err)
	}
}

func TestGPUAllocFree(t *testing.T) {
	ctx := gpuContext(t)
	b, err := ctx.Alloc(1000)
	if err != nil {
		t.Fatal(err)
	}
	if b.Ptr == 0 || b.Size != 1000 || b.Pitch != 0 {
		t.Errorf("Alloc: %+v", b)
	}
	if err := b.Free(); err != nil {
		t.Fatal(err)
	}
	if err := b.Free(); err != nil {
		t.Errorf("second Free: %v", err)
	}
	if err := CopyHtoD(b, 0, []byte{1}, nil); !errors.Is(err, ErrFreed) {
		t.Errorf("copy after free: %v", err)
	}
	p, err := ctx.AllocPitch(1921, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Free()
	if p.Pitch < 1921 || p.Size != p.Pitch*3 {
		t.Errorf("AllocPitch(1921,3): pitch %d size %d", p.Pitch, p.Size)
	}
	t.Logf("AllocPitch(1921, 3): pitch %d", p.Pitch)
	_, err = ctx.Alloc(1 << 50)
	if !errors.Is(err, ErrorOutOfMemory) {
		t.Errorf("Alloc(1 PiB) = %v, want CUDA_ERROR_OUT_OF_MEMORY", err)
	}
	t.Logf("Alloc(1 PiB): %v", err)
}

func TestGPURoundTrip1D(t *testing.T) {
	ctx := gpuContext(t)
	s, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	for i, n := range []int{1, 7, 4096, 1<<20 + 3} {
		for _, st := range []*Stream{nil, s} {
			src := randomBytes(uint64(i), n)
			a, err := ctx.Alloc(n + 16)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ctx.Alloc(n + 32)
			if err != nil {
				t.Fatal(err)
			}
			if err := CopyHtoD(a, 5, src, st); err != nil {
				t.Fatal(err)
			}
			if err := CopyDtoD(c, 11, a, 5, n, st); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, n)
			if err := CopyDtoH(got, c, 11, st); err != nil {
				t.Fatal(err)
			}
			if st != nil {
				if err := st.Synchronize(); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, src) {
				t.Errorf("n=%d stream=%v: round trip differs", n, st != nil)
			}
			// Out-of-range copies are refused before the driver sees them.
			if err := CopyHtoD(a, 17, src, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("overflowing CopyHtoD: %v", err)
			}
			if err := CopyDtoH(make([]byte, n+33), c, 0, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("overflowing CopyDtoH: %v", err)
			}
			if err := CopyDtoD(c, 0, a, 1, n+16, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("overflowing CopyDtoD: %v", err)
			}
			a.Free()
			c.Free()
		}
	}
}

func TestGPUMemset(t *testing.T) {
	ctx := gpuContext(t)
	b, err := ctx.Alloc(4097)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	if err := b.Memset(0xA5, nil); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4097)
	if err := CopyDtoH(got, b, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte{0xA5}, 4097)) {
		t.Error("memset content wrong")
	}
}

func TestGPURoundTrip2D(t *testing.T) {
	ctx := gpuContext(t)
	s, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	for _, dim := range []struct{ w, h int }{{1, 1}, {3, 5}, {17, 33}, {641, 481}, {1920, 1080}, {4095, 3}} {
		for _, st := range []*Stream{nil, s} {
			w, h := dim.w, dim.h
			srcPitch := w + 13
			src := randomBytes(uint64(w*h), srcPitch*h)
			dev, err := ctx.AllocPitch(w, h)
			if err != nil {
				t.Fatal(err)
			}
			if err := CopyHtoD2D(dev, src, srcPitch, w, h, st); err != nil {
				t.Fatal(err)
			}
			// Device-to-device into a linear (tightly packed) buffer.
			lin, err := ctx.Alloc(w * h)
			if err != nil {
				t.Fatal(err)
			}
			if err := CopyDtoD2D(lin, dev, w, h, st); err != nil {
				t.Fatal(err)
			}
			// Back to the host with a third pitch; padding must stay untouched.
			dstPitch := w + 7
			dst := bytes.Repeat([]byte{0xEE}, dstPitch*h)
			if err := CopyDtoH2D(dst, dstPitch, dev, w, h, st); err != nil {
				t.Fatal(err)
			}
			flat := make([]byte, w*h)
			if err := CopyDtoH(flat, lin, 0, st); err != nil {
				t.Fatal(err)
			}
			if st != nil {
				if err := st.Synchronize(); err != nil {
					t.Fatal(err)
				}
			}
			for y := range h {
				want := src[y*srcPitch : y*srcPitch+w]
				if !bytes.Equal(dst[y*dstPitch:y*dstPitch+w], want) {
					t.Fatalf("%dx%d stream=%v: pitched row %d differs", w, h, st != nil, y)
				}
				if !bytes.Equal(flat[y*w:(y+1)*w], want) {
					t.Fatalf("%dx%d stream=%v: linear row %d differs", w, h, st != nil, y)
				}
				for x := w; x < dstPitch && y*dstPitch+x < len(dst); x++ {
					if dst[y*dstPitch+x] != 0xEE {
						t.Fatalf("%dx%d: padding byte (%d,%d) overwritten", w, h, x, y)
					}
				}
			}
			// Regions beyond either side are refused.
			if err := CopyHtoD2D(dev, src, srcPitch, w, h+1, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("too many rows: %v", err)
			}
			if err := CopyDtoH2D(dst, w-1, dev, w, h, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("pitch < width: %v", err)
			}
			if err := CopyDtoD2D(lin, dev, w+1, h, st); !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("wider than linear buffer: %v", err)
			}
			dev.Free()
			lin.Free()
		}
	}
}

func TestGPUStreamsAndEvents(t *testing.T) {
	ctx := gpuContext(t)
	a, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Destroy()
	b, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Destroy()
	const n = 256 << 20
	src, err := ctx.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Free()
	dst, err := ctx.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Free()
	start, _ := ctx.NewEvent()
	mid, _ := ctx.NewEvent()
	end, err := ctx.NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer start.Destroy()
	defer mid.Destroy()
	defer end.Destroy()

	// Stream a fills src; stream b waits for that and copies it.
	if err := start.Record(a); err != nil {
		t.Fatal(err)
	}
	if err := src.Memset(7, a); err != nil {
		t.Fatal(err)
	}
	if err := mid.Record(a); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitEvent(mid); err != nil {
		t.Fatal(err)
	}
	if err := CopyDtoD(dst, 0, src, 0, n, b); err != nil {
		t.Fatal(err)
	}
	if err := end.Record(b); err != nil {
		t.Fatal(err)
	}
	if err := end.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if done, err := end.Done(); err != nil || !done {
		t.Errorf("Done after Synchronize = %v, %v", done, err)
	}
	fill, err := Elapsed(start, mid)
	if err != nil {
		t.Fatal(err)
	}
	total, err := Elapsed(start, end)
	if err != nil {
		t.Fatal(err)
	}
	copyTime := total - fill
	t.Logf("memset 256 MiB: %v (%.0f GB/s); copy 256 MiB: %v (%.0f GB/s read+write)",
		fill, float64(n)/fill.Seconds()/1e9, copyTime, 2*float64(n)/copyTime.Seconds()/1e9)
	if fill <= 0 || copyTime <= 0 || total > 10*time.Second {
		t.Errorf("implausible timings: fill %v, total %v", fill, total)
	}
	got := make([]byte, 1<<20)
	for _, off := range []int{0, n/2 + 3, n - len(got)} {
		if err := CopyDtoH(got, dst, off, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bytes.Repeat([]byte{7}, len(got))) {
			t.Fatalf("copy at %d did not see the memset: stream ordering broken", off)
		}
	}
}

// addPTX adds v to each of n uint32 values; mixPTX stores each of its
// mixed-width parameters so that the packing can be checked on the device.
const addPTX = `
.version 7.0
.target sm_52
.address_size 64

.visible .entry add_u32(
	.param .u64 p_buf,
	.param .u32 p_n,
	.param .u32 p_v
)
{
	.reg .pred %p<2>;
	.reg .b32 %r<8>;
	.reg .b64 %rd<5>;

	ld.param.u64 %rd1, [p_buf];
	ld.param.u32 %r1, [p_n];
	ld.param.u32 %r2, [p_v];
	mov.u32 %r3, %ctaid.x;
	mov.u32 %r4, %ntid.x;
	mov.u32 %r5, %tid.x;
	mad.lo.s32 %r6, %r3, %r4, %r5;
	setp.ge.u32 %p1, %r6, %r1;
	@%p1 bra DONE;
	cvta.to.global.u64 %rd2, %rd1;
	mul.wide.u32 %rd3, %r6, 4;
	add.s64 %rd4, %rd2, %rd3;
	ld.global.u32 %r7, [%rd4];
	add.s32 %r7, %r7, %r2;
	st.global.u32 [%rd4], %r7;
DONE:
	ret;
}

.visible .entry mix(
	.param .u64 p_out,
	.param .u32 p_a,
	.param .f32 p_b,
	.param .u64 p_c,
	.param .s32 p_d,
	.param .f64 p_e
)
{
	.reg .b32 %r<3>;
	.reg .f32 %f<3>;
	.reg .b64 %rd<3>;
	.reg .f64 %fd<2>;

	ld.param.u64 %rd1, [p_out];
	cvta.to.global.u64 %rd1, %rd1;
	ld.param.u32 %r1, [p_a];
	st.global.u32 [%rd1], %r1;
	ld.param.f32 %f1, [p_b];
	add.f32 %f2, %f1, %f1;
	st.global.f32 [%rd1+4], %f2;
	ld.param.u64 %rd2, [p_c];
	st.global.u64 [%rd1+8], %rd2;
	ld.param.s32 %r2, [p_d];
	st.global.s32 [%rd1+16], %r2;
	ld.param.f64 %fd1, [p_e];
	st.global.f64 [%rd1+24], %fd1;
	ret;
}
`

func TestGPUKernelPTX(t *testing.T) {
	ctx := gpuContext(t)
	mod, err := ctx.LoadPTX(addPTX)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Unload()
	t.Logf("JIT info log: %q", mod.InfoLog)
	add, err := mod.Function("add_u32")
	if err != nil {
		t.Fatal(err)
	}
	const n = 100003 // not a multiple of the block size
	host := make([]byte, 4*n)
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]uint32, n)
	for i := range vals {
		vals[i] = r.Uint32()
		host[4*i], host[4*i+1], host[4*i+2], host[4*i+3] = byte(vals[i]), byte(vals[i]>>8), byte(vals[i]>>16), byte(vals[i]>>24)
	}
	buf, err := ctx.Alloc(4*n + 4)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	if err := CopyHtoD(buf, 0, host, nil); err != nil {
		t.Fatal(err)
	}
	guard := []byte{0xAB, 0xCD, 0xEF, 0x01}
	if err := CopyHtoD(buf, 4*n, guard, nil); err != nil {
		t.Fatal(err)
	}
	s, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	grid := Dim3{(n + 255) / 256, 1, 1}
	if err := add.Launch(grid, Dim3{256, 1, 1}, 0, s, buf, uint32(n), uint32(1)); err != nil {
		t.Fatal(err)
	}
	// Second launch passes the pointer as a uintptr and another addend.
	if err := add.Launch(grid, Dim3{256, 1, 1}, 0, s, buf.Ptr, uint32(n), uint32(0x10000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4*n+4)
	if err := CopyDtoH(got, buf, 0, nil); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		w := v + 1 + 0x10000
		g := uint32(got[4*i]) | uint32(got[4*i+1])<<8 | uint32(got[4*i+2])<<16 | uint32(got[4*i+3])<<24
		if g != w {
			t.Fatalf("element %d: got %#x, want %#x", i, g, w)
		}
	}
	if !bytes.Equal(got[4*n:], guard) {
		t.Error("kernel wrote past n")
	}

	mix, err := mod.Function("mix")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ctx.Alloc(32)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Free()
	if err := mix.Launch(Dim3{1, 1, 1}, Dim3{1, 1, 1}, 0, nil,
		out, uint32(0xDEADBEEF), float32(1.25), uint64(0x0123456789ABCDEF), int32(-42), math.Pi); err != nil {
		t.Fatal(err)
	}
	res := make([]byte, 32)
	if err := CopyDtoH(res, out, 0, nil); err != nil {
		t.Fatal(err)
	}
	le32 := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	le64 := func(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
	if v := le32(res); v != 0xDEADBEEF {
		t.Errorf("u32 param: %#x", v)
	}
	if v := math.Float32frombits(le32(res[4:])); v != 2.5 {
		t.Errorf("f32 param doubled: %v", v)
	}
	if v := le64(res[8:]); v != 0x0123456789ABCDEF {
		t.Errorf("u64 param: %#x", v)
	}
	if v := int32(le32(res[16:])); v != -42 {
		t.Errorf("s32 param: %d", v)
	}
	if v := math.Float64frombits(le64(res[24:])); v != math.Pi {
		t.Errorf("f64 param: %v", v)
	}
	if _, err := mod.Function("no_such_kernel"); !errors.Is(err, ErrorNotFound) {
		t.Errorf("missing kernel: %v", err)
	}
	if err := add.Launch(grid, Dim3{2048, 1, 1}, 0, nil, buf, uint32(n), uint32(1)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("oversized block: %v", err)
	}
}

func TestGPUBadPTXLog(t *testing.T) {
	ctx := gpuContext(t)
	bad := ".version 7.0\n.target sm_52\n.address_size 64\n.visible .entry broken()\n{\n\tthis_is_not_ptx %r1;\n\tret;\n}\n"
	_, err := ctx.LoadPTX(bad)
	if err == nil {
		t.Fatal("bad PTX loaded")
	}
	var je *JITError
	if !errors.As(err, &je) {
		t.Fatalf("error %T %v is not a *JITError", err, err)
	}
	t.Logf("bad PTX: %v", err)
	if !errors.Is(err, ErrorInvalidPTX) && !errors.Is(err, ErrorInvalidImage) {
		t.Errorf("code %v, want CUDA_ERROR_INVALID_PTX or _INVALID_IMAGE", je.Err.Code)
	}
	if je.Log == "" {
		t.Error("empty JIT error log")
	}
}

func BenchmarkGPUCopyHtoD4MiB(b *testing.B) {
	ctx := gpuContext(b)
	const n = 4 << 20
	buf, err := ctx.Alloc(n)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Free()
	src := randomBytes(3, n)
	b.SetBytes(n)
	for b.Loop() {
		if err := CopyHtoD(buf, 0, src, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGPULaunchEmpty(b *testing.B) {
	ctx := gpuContext(b)
	mod, err := ctx.LoadPTX(addPTX)
	if err != nil {
		b.Fatal(err)
	}
	defer mod.Unload()
	add, _ := mod.Function("add_u32")
	buf, err := ctx.Alloc(4)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Free()
	s, _ := ctx.NewStream()
	defer s.Destroy()
	for b.Loop() {
		if err := add.Launch(Dim3{1, 1, 1}, Dim3{32, 1, 1}, 0, s, buf, uint32(0), uint32(1)); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Synchronize(); err != nil {
		b.Fatal(err)
	}
}

func TestGPUPinnedAsyncRoundTrip(t *testing.T) {
	ctx := gpuContext(t)
	const n = 8<<20 + 5
	in, err := ctx.AllocHost(n)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Free()
	out, err := ctx.AllocHost(n)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Free()
	copy(in.Bytes(), randomBytes(11, n))
	dev, err := ctx.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Free()
	s, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	done, err := ctx.NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer done.Destroy()
	if err := CopyHtoD(dev, 0, in.Bytes(), s); err != nil {
		t.Fatal(err)
	}
	if err := CopyDtoH(out.Bytes(), dev, 0, s); err != nil {
		t.Fatal(err)
	}
	if err := done.Record(s); err != nil {
		t.Fatal(err)
	}
	if err := done.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Bytes(), out.Bytes()) {
		t.Error("pinned async round trip differs")
	}
	if err := in.Free(); err != nil || in.Bytes() != nil {
		t.Errorf("Free: %v, Bytes after free non-nil", err)
	}
}

func TestGPUMemInfo(t *testing.T) {
	ctx := gpuContext(t)
	info, err := Device(0)
	if err != nil {
		t.Fatal(err)
	}
	free0, total, err := ctx.MemInfo()
	if err != nil {
		t.Fatal(err)
	}
	if diff := int64(total) - int64(info.TotalMemory); diff > int64(total/100) || -diff > int64(total/100) || free0 > total || free0 == 0 {
		t.Fatalf("MemInfo free %d total %d, device total %d", free0, total, info.TotalMemory)
	}
	b, err := ctx.Alloc(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	free1, _, err := ctx.MemInfo()
	b.Free()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("free %d MiB of %d MiB; after a 1 GiB allocation %d MiB", free0>>20, total>>20, free1>>20)
	if free0-free1 < 1<<29 {
		t.Errorf("a 1 GiB allocation lowered free memory by only %d bytes", free0-free1)
	}
}

func BenchmarkGPUCopyHtoD4MiBPinned(b *testing.B) {
	ctx := gpuContext(b)
	const n = 4 << 20
	buf, err := ctx.Alloc(n)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Free()
	src, err := ctx.AllocHost(n)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Free()
	b.SetBytes(n)
	for b.Loop() {
		if err := CopyHtoD(buf, 0, src.Bytes(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGPUWrapBorrows(t *testing.T) {
	ctx := gpuContext(t)
	owner, err := ctx.Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Free()
	view, err := ctx.Wrap(owner.Ptr+16, 48, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := randomBytes(5, 48)
	if err := CopyHtoD(view, 0, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := CopyHtoD(view, 1, src, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("copy past the wrapped span: %v", err)
	}
	if err := view.Free(); err != nil {
		t.Fatal(err)
	}
	// The owner's memory is still allocated and holds what went through the view.
	got := make([]byte, 48)
	if err := CopyDtoH(got, owner, 16, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) {
		t.Error("data written through the wrapped view is not in the owner's memory")
	}
}
