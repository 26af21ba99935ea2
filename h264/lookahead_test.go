package h264

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// TestLookaheadBitExact: with the lookahead's QP offsets, both decoders
// still reproduce the reconstruction, across GOP boundaries and with a
// lookahead longer than the clip's rest.
func TestLookaheadBitExact(t *testing.T) {
	for _, o := range []Options{
		{Width: 208, Height: 160, RateControl: ConstantQP, QP: 24, Lookahead: 4, Threads: 2},
		{Width: 99, Height: 61, GOP: 5, Lookahead: 7, Threads: 3},
		{Width: 176, Height: 144, Preset: "ultrafast", RateControl: AverageBitrate, Bitrate: 200000, Lookahead: 1, Threads: 1},
	} {
		var pics []*Picture
		if o.Width == 208 {
			pics = photoClip(t, o.Width, o.Height, 10)
		} else {
			pics = clip(o.Width, o.Height, 11, 3)
		}
		encodeAndCheck(t, o, pics, nil)
	}
}

// TestLookaheadDelayAndFlush: the first Lookahead calls return no data,
// then one access unit per call in input order; Flush returns the rest,
// then reports none; a keyframe forced before a picture lands on it; the
// encoder takes pictures again after a flush.
func TestLookaheadDelayAndFlush(t *testing.T) {
	const n = 3
	pics := clip(48, 32, 8, 4)
	enc, err := NewEncoder(Options{Width: 48, Height: 32, Lookahead: n, GOP: 100, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []AccessUnit
	for i, p := range pics[:6] {
		if i == 4 {
			enc.ForceKeyframe()
		}
		au, err := enc.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if (au.Data == nil) != (i < n) {
			t.Fatalf("call %d: data %v", i, au.Data != nil)
		}
		if au.Data != nil {
			got = append(got, au)
		}
	}
	got = append(got, flushAll(t, enc)...)
	if _, ok, _ := enc.Flush(); ok {
		t.Fatal("Flush after the last picture returned one")
	}
	for _, p := range pics[6:] {
		if au, err := enc.Encode(p); err != nil || au.Data != nil {
			t.Fatalf("after a flush: %v, data %v (want held back)", err, au.Data != nil)
		}
	}
	got = append(got, flushAll(t, enc)...)
	if len(got) != len(pics) {
		t.Fatalf("%d access units for %d pictures", len(got), len(pics))
	}
	for i, au := range got {
		if au.FrameNum != i {
			t.Fatalf("access unit %d is picture %d", i, au.FrameNum)
		}
		if want := i == 0 || i == 4; au.Keyframe != want {
			t.Fatalf("picture %d keyframe %v, want %v", i, au.Keyframe, want)
		}
	}
}

// flushAll calls Flush until it reports no picture left and returns the
// access units.
func flushAll(t *testing.T, enc *Encoder) []AccessUnit {
	t.Helper()
	var aus []AccessUnit
	for {
		au, ok, err := enc.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return aus
		}
		aus = append(aus, au)
	}
}

// TestLookaheadThreads: the analysis and the tree do not depend on the
// number of goroutines.
func TestLookaheadThreads(t *testing.T) {
	pics := photoClip(t, 208, 160, 7)
	var streams [][]byte
	for _, th := range []int{1, 4} {
		s, _, _ := encodeClip(t, Options{Width: 208, Height: 160, Lookahead: 4, Threads: th}, pics, nil)
		streams = append(streams, s)
	}
	if !bytes.Equal(streams[0], streams[1]) {
		t.Fatal("1 and 4 goroutines make different streams")
	}
}

// TestLookaheadChangesQP: on a slow pan the tree lowers the QP of the
// first picture's macroblocks (later pictures reuse them), so the stream
// differs from the one without lookahead and its first picture is larger.
func TestLookaheadChangesQP(t *testing.T) {
	pics := photoClip(t, 208, 160, 8)
	o := Options{Width: 208, Height: 160, RateControl: ConstantQP, QP: 30, Threads: 2}
	_, _, plain := encodeClip(t, o, pics, nil)
	o.Lookahead = 6
	_, _, tree := encodeClip(t, o, pics, nil)
	if len(tree[0].Data) <= len(plain[0].Data) {
		t.Fatalf("first picture %d bytes with the tree, %d without: want more", len(tree[0].Data), len(plain[0].Data))
	}
}

// TestTreeOffsets checks the propagation on hand-made analyses: picture 1
// copies picture 0 (inter cost 0) shifted by half a block right, so each
// block hands its whole intra cost to the two blocks it overlaps; picture 0's
// offsets follow −2·log2((intra + propagated) / intra).
func TestTreeOffsets(t *testing.T) {
	la := newLookahead(1, 2, 1)
	f0, f1 := la.frame(), la.frame()
	copy(f0.intra, []int32{1000, 1000})
	copy(f1.intra, []int32{3000, 3000})
	copy(f1.inter, []int32{0, 3000})   // block 1 is new content
	copy(f1.frac, []uint32{65536, 0})  // (intra − inter) / intra
	copy(f1.mv, []MV{{X: -4}, {X: 0}}) // block 0 predicts from x = −4..3
	la.queue = []*laFrame{f0, f1}
	out := make([]int8, 2)
	la.treeOffsets(2, 1, out)
	// Block 0 of picture 1 passes 3000 on, half to block 0 of picture 0
	// (the other half falls outside the picture): log2(2500/1000) = 1.32,
	// times 2 is 2.64, rounded 3. Nothing reaches block 1.
	if out[0] != -3 || out[1] != 0 {
		t.Fatalf("offsets %v, want [-3 0]", out)
	}
	la.treeOffsets(1, 1, out) // no later picture: nothing to propagate
	if out[0] != 0 || out[1] != 0 {
		t.Fatalf("offsets without later pictures %v, want [0 0]", out)
	}
}

// TestLookaheadOption: out-of-range values are refused with an OptionError.
func TestLookaheadOption(t *testing.T) {
	for _, n := range []int{-1, MaxLookahead + 1} {
		_, err := NewEncoder(Options{Width: 16, Height: 16, Lookahead: n})
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != "Lookahead" {
			t.Errorf("Lookahead %d: %v, want an OptionError for Lookahead", n, err)
		}
	}
}

// TestLookaheadTrace: EncodeTrace gives no trace while the picture is held
// back, then the trace of the picture coded, with its QP offsets, which
// the decisions applied.
func TestLookaheadTrace(t *testing.T) {
	o := Options{Width: 208, Height: 160, RateControl: ConstantQP, QP: 30, Lookahead: 2, Threads: 2}
	enc, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	lowered := 0
	for i, p := range photoClip(t, o.Width, o.Height, 5) {
		au, tr, err := enc.EncodeTrace(p)
		if err != nil {
			t.Fatal(err)
		}
		if (tr == nil) != (i < 2) || (au.Data == nil) != (i < 2) {
			t.Fatalf("call %d: trace %v, data %v", i, tr != nil, au.Data != nil)
		}
		if tr == nil {
			continue
		}
		if len(tr.QPOffsets) != len(tr.Decisions) {
			t.Fatalf("picture %d: %d offsets for %d macroblocks", au.FrameNum, len(tr.QPOffsets), len(tr.Decisions))
		}
		for k, d := range tr.Decisions {
			if want := max(0, min(51, tr.QP+int(tr.QPOffsets[k]))); d.QP != want {
				t.Fatalf("picture %d MB %d: QP %d, want %d (slice %d, offset %d)", au.FrameNum, k, d.QP, want, tr.QP, tr.QPOffsets[k])
			}
			if tr.QPOffsets[k] < 0 {
				lowered++
			}
		}
	}
	if lowered == 0 {
		t.Fatal("no macroblock got a lower QP from the tree on a slow pan")
	}
}

// TestStageTimes: with timing on, every segment is reported and the
// picture's time lands in them; off, nothing is reported.
func TestStageTimes(t *testing.T) {
	pics := clip(64, 48, 3, 9)
	enc, err := NewEncoder(Options{Width: 64, Height: 48, Threads: 2, Lookahead: 1})
	if err != nil {
		t.Fatal(err)
	}
	if enc.StageTimes() != nil {
		t.Fatal("StageTimes without timing is not nil")
	}
	enc.SetStageTiming(true)
	for _, p := range pics {
		if _, err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
	}
	ts := enc.StageTimes()
	if len(ts) != hostStages {
		t.Fatalf("%d stages, want %d", len(ts), hostStages)
	}
	total := 0.0
	for _, s := range ts {
		if s.Seconds < 0 {
			t.Fatalf("%s: %v s", s.Stage, s.Seconds)
		}
		total += s.Seconds
	}
	if ts[hostRecon].Seconds <= 0 || total <= 0 {
		t.Fatalf("no time in the stages: %+v", ts)
	}
	if again := enc.StageTimes(); again[hostRecon].Seconds != 0 {
		t.Fatalf("StageTimes did not reset: %+v", again)
	}
}

// TestTreeBands: the tree's offsets at 1080p through 20 held pictures are
// the same on one band and on every number of bands up to the most
// (whose passes overlap, each band waiting only for its neighbours).
func TestTreeBands(t *testing.T) {
	la, _ := benchLookahead(t)
	n := len(la.queue)
	want := make([]int8, la.mbW*la.mbH)
	if err := la.treeOffsets(n, 1, want); err != nil {
		t.Fatal(err)
	}
	lowered := 0
	for _, v := range want {
		if v < 0 {
			lowered++
		}
	}
	if lowered == 0 {
		t.Fatal("no offset below 0: the test would not see a difference")
	}
	most := la.mbH / (2 * treeReach)
	for _, bands := range []int{2, 3, most - 1, most, 64} {
		got := make([]int8, len(want))
		if err := la.treeOffsets(n, bands, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%d goroutines: offsets differ from one band's", bands)
		}
	}
}
