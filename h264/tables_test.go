package h264

import (
	"strings"
	"testing"
)

// checkPrefixFree fails if any code of the table is a prefix of another,
// and returns the Kraft sum Σ 2^-len scaled by 2^16.
func checkPrefixFree(t *testing.T, name string, codes []vlc) int {
	t.Helper()
	kraft := 0
	for i, a := range codes {
		if a.n == 0 {
			continue
		}
		kraft += 1 << (16 - a.n)
		for j, b := range codes {
			if i == j || b.n == 0 || b.n < a.n {
				continue
			}
			if b.code>>(b.n-a.n) == a.code {
				t.Errorf("%s: code %d (%0*b) is a prefix of code %d (%0*b)", name, i, a.n, a.code, j, b.n, b.code)
			}
		}
	}
	if kraft > 1<<16 {
		t.Errorf("%s: Kraft sum %d/65536 > 1", name, kraft)
	}
	return kraft
}

func TestCoeffTokenTables(t *testing.T) {
	for tab := 0; tab < 5; tab++ {
		var codes []vlc
		for t1 := 0; t1 < 4; t1++ {
			maxTC := 16
			if tab == 4 {
				maxTC = 4
			}
			for tc := 0; tc <= maxTC; tc++ {
				c := coeffTokenVLC[tab][t1][tc]
				if t1 > tc {
					if c.n != 0 {
						t.Errorf("table %d has a code for TrailingOnes %d > TotalCoeff %d", tab, t1, tc)
					}
					continue
				}
				if c.n == 0 {
					t.Errorf("table %d lacks TrailingOnes %d TotalCoeff %d", tab, t1, tc)
				}
				codes = append(codes, c)
			}
		}
		want := 62
		if tab == 4 {
			want = 14
		}
		if len(codes) != want {
			t.Errorf("table %d has %d codes, want %d", tab, len(codes), want)
		}
		k := checkPrefixFree(t, "coeff_token", codes)
		// Table 9-5: the 8 <= nC column leaves two 6-bit codes unused
		// (000010 and 000111); the variable-length columns leave a few
		// long codes unused too.
		if tab == 3 && k != 65536-2048 {
			t.Errorf("nC >= 8 column: Kraft sum %d, want all but two 6-bit codes", k)
		}
	}
}

func TestTotalZerosAndRunBeforeTables(t *testing.T) {
	for tz := 1; tz <= 15; tz++ {
		codes := totalZerosVLC[tz][:16-tz+1]
		for i, c := range codes {
			if c.n == 0 {
				t.Errorf("total_zeros tzVlcIndex %d lacks value %d", tz, i)
			}
		}
		k := checkPrefixFree(t, "total_zeros", codes)
		if tz > 1 && k != 1<<16 {
			t.Errorf("total_zeros tzVlcIndex %d is not complete (%d/65536)", tz, k)
		}
	}
	for tz := 1; tz <= 3; tz++ {
		if k := checkPrefixFree(t, "total_zeros chroma DC", totalZerosDCVLC[tz][:4-tz+1]); k != 1<<16 {
			t.Errorf("chroma DC total_zeros %d incomplete", tz)
		}
	}
	for zl := 1; zl <= 7; zl++ {
		n := min(zl, 14) + 1
		if zl == 7 {
			n = 15
		}
		k := checkPrefixFree(t, "run_before", runBeforeVLC[zl][:n])
		if zl < 7 && k != 1<<16 {
			t.Errorf("run_before zerosLeft %d incomplete", zl)
		}
	}
}

func TestCBPTable(t *testing.T) {
	for col := 0; col < 2; col++ {
		var seen [48]bool
		for _, p := range cbpTable94 {
			if seen[p[col]] {
				t.Fatalf("Table 9-4 column %d repeats %d", col, p[col])
			}
			seen[p[col]] = true
		}
		for cbp := 0; cbp < 48; cbp++ {
			if cbpTable94[cbpCodeNum[col][cbp]][col] != uint8(cbp) {
				t.Fatalf("cbpCodeNum[%d][%d] does not invert Table 9-4", col, cbp)
			}
		}
	}
}

func TestZigzagIsPermutation(t *testing.T) {
	var seen [16]bool
	for _, v := range zigzag4x4 {
		seen[v] = true
	}
	for i, s := range seen {
		if !s {
			t.Fatalf("zigzag lacks %d", i)
		}
	}
	if !strings.HasPrefix(bitString([]byte{0xa0}, 3), "101") {
		t.Fatal("bitString")
	}
}

func TestDeblockTablesMonotonic(t *testing.T) {
	for i := 1; i < 52; i++ {
		if alphaTable[i] < alphaTable[i-1] || betaTable[i] < betaTable[i-1] {
			t.Errorf("alpha/beta not monotonic at %d", i)
		}
		for b := 0; b < 3; b++ {
			if tc0Table[i][b] < tc0Table[i-1][b] {
				t.Errorf("tC0 not monotonic at %d", i)
			}
			if b > 0 && tc0Table[i][b] < tc0Table[i][b-1] {
				t.Errorf("tC0 not increasing with bS at %d", i)
			}
		}
	}
}
