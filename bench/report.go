package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Report files written by WriteDir.
const (
	JSONFile     = "results.json"
	CSVFile      = "results.csv"
	TableFile    = "table.txt"
	MarkdownFile = "report.md"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// csvHeader names the columns of results.csv.
var csvHeader = []string{"resolution", "width", "height", "encoder", "config", "source", "threads", "options", "sweep", "point",
	"status", "reason", "frames", "time_median_s", "time_min_s", "time_max_s", "fps", "bytes", "bitrate_kbps",
	"psnr_y", "psnr_u", "psnr_v", "psnr_611", "psnr_avg", "ssim_y", "ssim_u", "ssim_v", "ssim_all",
	"clock", "cpu", "cores", "gpu", "ffmpeg", "go"}

// WriteCSV writes one line per row, under a header line; each line ends
// with the clock ("full" or "study") and the machine: CPU model, cores,
// the first line of the GPU probe, FFmpeg's and Go's versions.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	// Every line carries the machine and the clock, so that files from
	// several machines can be concatenated.
	m := r.Machine
	clock := "full"
	if r.Config.StudyTiming {
		clock = "study"
	}
	gpu, _, _ := strings.Cut(m.GPUText, "\n")
	for _, row := range r.Rows {
		rec := []string{row.Resolution, strconv.Itoa(row.Width), strconv.Itoa(row.Height), row.Encoder, row.Config, row.Source,
			strconv.Itoa(row.Threads), optionLabel(row.Options), row.Sweep, row.Point, row.Status, row.Reason, strconv.Itoa(row.Frames),
			f(row.Time.Median), f(row.Time.Min), f(row.Time.Max), f(row.FPS), strconv.FormatInt(row.Bytes, 10), f(row.BitrateKbps)}
		if q := row.Quality; q != nil {
			for _, v := range []Float{q.PSNRY, q.PSNRU, q.PSNRV, q.PSNR611, q.PSNRAvg, q.SSIMY, q.SSIMU, q.SSIMV, q.SSIMAll} {
				rec = append(rec, v.Format(6))
			}
		} else {
			rec = append(rec, make([]string, 9)...)
		}
		rec = append(rec, clock, m.CPU, strconv.Itoa(m.Cores), gpu, m.FFmpeg["ffmpeg"], m.Go)
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

func threadsText(row Row) string {
	if row.Threads == 0 {
		return "-"
	}
	return strconv.Itoa(row.Threads)
}

func sourceText(s string) string {
	if s == "cuda" {
		return "CUDA"
	}
	return "CPU"
}

// WriteTable prints the rows as the study printed its figures, one line
// per configuration: resolution, encoder, frame source, threads, median
// time with its spread, fps, size, bit rate, PSNR (6:1:1) and SSIM (All).
// Rows that did not run follow, with the reason, then the BD-rates.
func (r *Report) WriteTable(w io.Writer) error {
	t := table{right: []bool{false, false, false, true, false, true, true, true, true, true, true, true}}
	t.add("resolution", "configuration", "source", "threads", "point", "time [s]", "min–max [s]", "fps", "size [B]", "kb/s", "PSNR [dB]", "SSIM")
	var notRun []Row
	for _, row := range r.Rows {
		if row.Status != StatusOK {
			notRun = append(notRun, row)
			continue
		}
		t.add(row.Resolution, row.Config, sourceText(row.Source), threadsText(row), dash(row.Point),
			fmt.Sprintf("%.3f", row.Time.Median), fmt.Sprintf("%.3f–%.3f", row.Time.Min, row.Time.Max), fmt.Sprintf("%.1f", row.FPS),
			strconv.FormatInt(row.Bytes, 10), fmt.Sprintf("%.0f", row.BitrateKbps), row.Quality.PSNR611.Format(2), row.Quality.SSIMAll.Format(4))
	}
	t.write(w)
	if len(notRun) > 0 {
		fmt.Fprintln(w, "\nNot run:")
		for _, row := range notRun {
			res := row.Resolution
			if res == "" {
				res = "all"
			}
			fmt.Fprintf(w, "  %s %s (%s frames): %s: %s\n", res, row.Config, sourceText(row.Source), row.Status, row.Reason)
		}
	}
	if len(r.BD) > 0 {
		fmt.Fprintln(w, "\nBD-rate (PSNR 6:1:1, PCHIP):")
		for _, bd := range r.BD {
			fmt.Fprintf(w, "  %s %s against %s: %s\n", bd.Resolution, bd.Sweep, bd.Anchor, bdText(bd))
		}
	}
	_, err := fmt.Fprint(w)
	return err
}

// table lays out columns of text, left- or right-aligned.
type table struct {
	right []bool
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.right))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func bdText(bd BD) string {
	if bd.Rate == nil {
		return "n/a (" + bd.Error + ")"
	}
	return bd.Rate.Format(1) + " %"
}

// WriteDir writes every report file into dir (created if needed):
// results.json, results.csv, table.txt, the PNG plots and spot checks, and
// report.md tying them together.
func (r *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fn(f); err != nil {
			f.Close()
			return fmt.Errorf("bench: writing %s: %w", name, err)
		}
		return f.Close()
	}
	if err := write(JSONFile, r.WriteJSON); err != nil {
		return err
	}
	if err := write(CSVFile, r.WriteCSV); err != nil {
		return err
	}
	if err := write(TableFile, r.WriteTable); err != nil {
		return err
	}
	pngs, perr := r.plots(dir)
	if err := write(MarkdownFile, func(w io.Writer) error { return r.writeMarkdown(w, pngs) }); err != nil {
		return err
	}
	return perr
}

// The study's figures (torchaudio NVENC tutorial, NVIDIA A10G, 120 frames of
// 1080p testsrc2 in yuv444p; the clock covered write_video_chunk only).
var studyFigures = []struct {
	what string
	fps  float64
	size int64
}{
	{"libx264, 1 thread", 26.10, 2678241},
	{"libx264, 4 threads", 72.29, 2682028},
	{"libx264, 8 threads", 77.93, 2685086},
	{"NVENC (h264_nvenc), CPU frames", 217.20, 1705900},
	{"NVENC (h264_nvenc), CUDA frames", 371.21, 1705900},
}

// ours finds our 1080p figure matching a line of the study's.
func (r *Report) ours(what string) *Row {
	for i := range r.Rows {
		row := &r.Rows[i]
		if row.Resolution != "1080p" || row.Sweep != "" || row.Status != StatusOK {
			continue
		}
		switch what {
		case "libx264, 1 thread":
			if row.Encoder == "libx264" && row.Threads == 1 {
				return row
			}
		case "libx264, 4 threads":
			if row.Encoder == "libx264" && row.Threads == 4 {
				return row
			}
		case "libx264, 8 threads":
			if row.Encoder == "libx264" && row.Threads == 8 {
				return row
			}
		case "NVENC (h264_nvenc), CPU frames":
			if row.Encoder == "h264_nvenc" && row.Source == "cpu" {
				return row
			}
		case "NVENC (h264_nvenc), CUDA frames":
			if row.Encoder == "h264_nvenc" && row.Source == "cuda" {
				return row
			}
		}
	}
	return nil
}

func (r *Report) writeMarkdown(w io.Writer, pngs map[string]string) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	m := r.Machine
	p("# gpuenc bench\n\n")
	if r.Interrupted {
		p("**Interrupted**: only the rows finished before the run was stopped are shown.\n\n")
	}
	p("Started %s, finished %s.\n\n", r.Started.Format("2006-01-02 15:04:05 MST"), r.Finished.Format("2006-01-02 15:04:05 MST"))
	if len(r.CommandLine) > 0 {
		p("```\n%s\n```\n\n", strings.Join(r.CommandLine, " "))
	}
	p("## Machine\n\n")
	p("- CPU: %s, %d cores (runtime.NumCPU), %.1f GiB memory, %s\n", m.CPU, m.Cores, m.MemoryGiB, m.OS)
	p("- FFmpeg %s (libavcodec %s, libavformat %s, libswscale %s), %s\n", m.FFmpeg["ffmpeg"], m.FFmpeg["libavcodec"], m.FFmpeg["libavformat"], m.FFmpeg["libswscale"], m.Go)
	p("- GPU (gpuenc probe):\n\n```\n%s\n```\n\n", m.GPUText)
	c := r.Config
	p("## Settings\n\n")
	if isFile(c.Source) {
		p("- Source: the first %d frames of the file `%s`, read in %s into memory before any clock starts.\n", c.Frames, c.Source, c.Format)
	} else {
		p("- Source: %d frames of `%s` at 30000/1001 fps in %s, drawn into memory before any clock starts.\n", c.Frames, c.Source, c.Format)
	}
	p("- Each configuration: %d warm-up run(s), then %d timed repeat(s); the table gives the median and the spread (min–max).\n", c.Warmup, c.Repeats)
	p("- Clock: %s. Output: mp4 into an in-memory seekable buffer.\n", r.Timing)
	p("- Encoders that do not take %s (h264_go: 4:2:0 only) get frames converted by the Writer with swscale, inside the clock; their output is decoded back to %s like the others', so their chroma figures include the loss of subsampling.\n", c.Format, c.Format)
	p("- Quality: the last repeat's output decoded (FFmpeg's decoder, in the source's pixel format) and compared with the source: PSNR per plane and 6:1:1 weighted (PSNR column), SSIM of all planes (SSIM column), as FFmpeg's psnr/ssim filters compute them (package quality).\n")
	if c.Sweep {
		p("- Sweep: each encoder at four quality settings (libx264: crf 18, 23, 28, 33 with tune=psnr; h264_go and h264_cuda: qp 18, 23, 28, 33 with rc-lookahead=20, their macroblock tree; NVENC: constqp; options given with an encoder win), one timed run each; BD-rate against `%s` from the 6:1:1 PSNR and the bit rate, PCHIP interpolation.\n", c.Anchor.String())
	}
	p("\n## Results\n\n")
	p("| resolution | configuration | source | threads | point | time [s] median (min–max) | fps | size [B] | kb/s | PSNR Y/U/V [dB] | PSNR 6:1:1 [dB] | SSIM |\n")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.Rows {
		if row.Status != StatusOK {
			continue
		}
		q := row.Quality
		p("| %s | %s | %s | %s | %s | %.3f (%.3f–%.3f) | %.1f | %d | %.0f | %s / %s / %s | %s | %s |\n", row.Resolution, row.Config, sourceText(row.Source),
			threadsText(row), dash(row.Point), row.Time.Median, row.Time.Min, row.Time.Max, row.FPS, row.Bytes, row.BitrateKbps,
			q.PSNRY.Format(2), q.PSNRU.Format(2), q.PSNRV.Format(2), q.PSNR611.Format(2), q.SSIMAll.Format(4))
	}
	var notRun []Row
	for _, row := range r.Rows {
		if row.Status != StatusOK {
			notRun = append(notRun, row)
		}
	}
	if len(notRun) > 0 {
		p("\n### Not run here\n\n| resolution | configuration | source | status | reason |\n|---|---|---|---|---|\n")
		for _, row := range notRun {
			res := row.Resolution
			if res == "" {
				res = "all"
			}
			p("| %s | %s | %s | %s | %s |\n", res, row.Config, sourceText(row.Source), row.Status, strings.ReplaceAll(row.Reason, "|", "\\|"))
		}
	}
	if len(r.BD) > 0 {
		p("\n## BD-rate against `%s`\n\nNegative: fewer bits than the anchor for the same PSNR.\n\n| resolution | configuration | BD-rate |\n|---|---|---|\n", c.Anchor.String())
		for _, bd := range r.BD {
			p("| %s | %s | %s |\n", bd.Resolution, bd.Sweep, bdText(bd))
		}
	}
	p("\n## Beside the study\n\n")
	p("The study (torchaudio's NVENC tutorial) ran on an NVIDIA A10G with a cloud CPU and timed only `write_video_chunk`, so its figures exclude the encoder's flush and the muxing")
	if c.StudyTiming {
		p(" (this run timed the same way: `--study-timing`)")
	} else {
		p(" (this run includes them, unless run with `--study-timing`)")
	}
	p("; it had one run per configuration, no warm-up. Stopping the clock before Close flatters encoders that hold frames back: libx264 keeps up to its rate-control lookahead (40 frames by default) plus its threads' delay before it emits anything, so the study's clock missed the coding of its last frames, and with fewer frames than that, nearly all of it. The machines differ too: set the figures side by side, not against each other.\n\n")
	p("| 1080p, 120 frames | study fps (A10G) | study size [B] | ours fps | ours size [B] | ours frames |\n|---|---|---|---|---|---|\n")
	for _, s := range studyFigures {
		if o := r.ours(s.what); o != nil {
			p("| %s | %.1f | %d | %.1f | %d | %d |\n", s.what, s.fps, s.size, o.FPS, o.Bytes, o.Frames)
		} else {
			p("| %s | %.1f | %d | not run | | |\n", s.what, s.fps, s.size)
		}
	}
	p("\n## Plots\n\n")
	for _, k := range []string{"time", "size", "fps"} {
		if name, ok := pngs[k]; ok {
			p("![%s](%s)\n\n", name, name)
		}
	}
	for _, res := range r.resolutionNames() {
		if name, ok := pngs["rd "+res]; ok {
			p("### Rate–distortion, %s\n\n![%s](%s)\n\n", res, name, name)
		}
	}
	p("## Quality spot check\n\nA 256x144 crop of frame %s, upscaled 2x (nearest neighbour): the source, then each encoder's decoded output. The crop is the window of the source frame with the most detail (largest sum of luma gradients), where coding artefacts show.\n\n", spotText(c.SpotFrame))
	for _, res := range r.resolutionNames() {
		if name, ok := pngs["spot "+res]; ok {
			p("### %s\n\n![%s](%s)\n\n", res, name, name)
		}
	}
	p("Files: [%s](%s), [%s](%s), [%s](%s).\n", JSONFile, JSONFile, CSVFile, CSVFile, TableFile, TableFile)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func spotText(i int) string {
	if i < 0 {
		return "N/2 (the middle frame)"
	}
	return strconv.Itoa(i)
}
