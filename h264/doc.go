// Package h264 is gpuenc's own H.264 encoder in pure Go (the h264_go
// back end): Constrained Baseline streams with CAVLC, I and P slices and
// one reference picture, written so that a CUDA port can reproduce it byte
// for byte (DESIGN.md describes the parallel contract stage by stage,
// DESIGN-motion.md the motion search).
//
// The encoder's reconstruction equals, sample for sample, what FFmpeg's and
// openh264's decoders make of its stream; the tests check this for every
// picture they code.
//
// Use NewEncoder with Options, feed pictures (NewPicture,
// PictureFromYUV420P, PictureFromNV12, PictureFromYUV444P) to Encode, and
// write the returned access units (Annex B) or convert them for MP4 with
// AnnexBToAVCC and AVCDecoderConfigurationRecord. With Options.Lookahead
// the encoder holds pictures back for its macroblock tree (lookahead.go,
// mbtree.go): call Flush after the last picture.
//
// Files follow the clauses of ITU-T H.264: bitwriter.go (7.2, 9.1),
// nal.go (7.3.1, 7.4.1), sps.go (7.3.2, Annex E, Table A-1), slice.go
// (7.3.3–7.3.5), intra.go (8.3), inter.go (8.4.1), interp.go (8.4.2),
// transform.go (8.5), quant.go (8.5.9–8.5.12), deblock.go (8.7),
// cavlc.go and cavlc_tables.go (9.2); encoder-side choices live in
// analyse.go, motion.go, cost.go, macroblock.go, skipprobe.go, aq.go,
// lookahead.go, mbtree.go and ratecontrol.go.
package h264
