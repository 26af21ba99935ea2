// NAL unit framing (ITU-T H.264 clause 7.3.1 and 7.4.1): the NAL unit
// header, emulation prevention (emulation_prevention_three_byte), Annex B
// byte stream start codes, and the length-prefixed AVCC form with its
// AVCDecoderConfigurationRecord (ISO/IEC 14496-15, 5.3.3.1).

package h264

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// NAL unit types used by the encoder (Table 7-1).
const (
	nalSliceNonIDR = 1
	nalSliceIDR    = 5
	nalSEI         = 6
	nalSPS         = 7
	nalPPS         = 8
	nalAUD         = 9
)

// ErrBadStream reports a byte stream that cannot be converted (no start
// code, a NAL unit too long for its length field, ...).
var ErrBadStream = errors.New("h264: malformed stream")

// appendNAL appends one NAL unit (header byte, then the RBSP with emulation
// prevention bytes inserted) to dst, without any start code or length.
// An emulation_prevention_three_byte goes wherever two zero bytes (since
// the last one inserted) would be followed by a byte of 3 or less
// (7.4.1); the runs between such places are copied whole, found by
// searching for zero pairs, which slice data seldom has.
func appendNAL(dst []byte, refIdc, nalType int, rbsp []byte) []byte {
	dst = append(dst, byte(refIdc&3)<<5|byte(nalType&31))
	copied, from := 0, 0
	for {
		k := bytes.Index(rbsp[from:], zeroPair)
		if k < 0 {
			break
		}
		p := from + k // rbsp[p] and rbsp[p+1] are zero
		if p+2 < len(rbsp) && rbsp[p+2] <= 3 {
			dst = append(dst, rbsp[copied:p+2]...)
			dst = append(dst, 3)
			copied, from = p+2, p+2
			continue
		}
		from = p + 1
	}
	return append(dst, rbsp[copied:]...)
}

// zeroPair is what appendNAL searches for.
var zeroPair = []byte{0, 0}

// appendAnnexB appends a start code (4 bytes) and the NAL unit.
func appendAnnexB(dst []byte, refIdc, nalType int, rbsp []byte) []byte {
	dst = append(dst, 0, 0, 0, 1)
	return appendNAL(dst, refIdc, nalType, rbsp)
}

// appendAnnexBPayload appends a start code and the NAL unit made of its
// header byte and payload, which already holds its emulation prevention
// bytes.
func appendAnnexBPayload(dst []byte, refIdc, nalType int, payload []byte) []byte {
	dst = append(dst, 0, 0, 0, 1, byte(refIdc&3)<<5|byte(nalType&31))
	return append(dst, payload...)
}

// SplitAnnexB returns the NAL units of an Annex B byte stream (without their
// start codes or trailing zero bytes). The slices alias stream.
func SplitAnnexB(stream []byte) ([][]byte, error) {
	var nals [][]byte
	start := -1
	i := 0
	for i+2 < len(stream) {
		if stream[i] == 0 && stream[i+1] == 0 && stream[i+2] == 1 {
			if start >= 0 {
				nals = append(nals, trimZeros(stream[start:i]))
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start < 0 {
		if len(stream) == 0 {
			return nil, nil
		}
		return nil, ErrBadStream
	}
	nals = append(nals, trimZeros(stream[start:]))
	return nals, nil
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// AnnexBToAVCC converts an Annex B access unit into the length-prefixed
// form used in MP4 samples (4-byte big-endian lengths), dropping SPS, PPS
// and access unit delimiters, which MP4 carries in the avcC record instead.
func AnnexBToAVCC(au []byte) ([]byte, error) {
	nals, err := SplitAnnexB(au)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(au)+8)
	for _, n := range nals {
		if len(n) == 0 {
			continue
		}
		switch n[0] & 31 {
		case nalSPS, nalPPS, nalAUD:
			continue
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
		out = append(out, n...)
	}
	return out, nil
}

// ConvertToAVCC is AnnexBToAVCC keeping every NAL unit (parameter sets
// included).
func ConvertToAVCC(au []byte) ([]byte, error) {
	nals, err := SplitAnnexB(au)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(au)+8)
	for _, n := range nals {
		out = binary.BigEndian.AppendUint32(out, uint32(len(n)))
		out = append(out, n...)
	}
	return out, nil
}

// AVCDecoderConfigurationRecord builds the avcC box payload (ISO/IEC
// 14496-15, 5.3.3.1) for one SPS and one PPS given as raw NAL units (header
// byte included, no start code), with 4-byte NAL lengths. It returns nil if
// the SPS is shorter than its fixed header.
func AVCDecoderConfigurationRecord(sps, pps []byte) []byte {
	if len(sps) < 4 || len(sps) > 0xffff || len(pps) > 0xffff {
		return nil
	}
	b := []byte{
		1,      // configurationVersion
		sps[1], // AVCProfileIndication
		sps[2], // profile_compatibility
		sps[3], // AVCLevelIndication
		0xff,   // reserved(6) + lengthSizeMinusOne = 3
		0xe1,   // reserved(3) + numOfSequenceParameterSets = 1
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(sps)))
	b = append(b, sps...)
	b = append(b, 1)
	b = binary.BigEndian.AppendUint16(b, uint16(len(pps)))
	b = append(b, pps...)
	return b
}
