package bench

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// mainRows returns the finished rows of the main matrix (no sweeps).
func (r *Report) mainRows() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Status == StatusOK && row.Sweep == "" {
			out = append(out, row)
		}
	}
	return out
}

// resolutionNames lists the resolutions of the report's rows in run order.
func (r *Report) resolutionNames() []string {
	var out []string
	for _, row := range r.Rows {
		if row.Resolution != "" && !slices.Contains(out, row.Resolution) {
			out = append(out, row.Resolution)
		}
	}
	return out
}

// configs lists the configurations of rows in order of first appearance.
func configs(rows []Row) []string {
	var out []string
	for _, row := range rows {
		if !slices.Contains(out, row.Config) {
			out = append(out, row.Config)
		}
	}
	return out
}

// plotByResolution draws one line per configuration of y(row) against the
// resolution, as the study's two plots do.
func (r *Report) plotByResolution(path, title, ylabel string, y func(Row) float64) error {
	res := r.resolutionNames()
	rows := r.mainRows()
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "resolution"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	var lines []any
	for _, c := range configs(rows) {
		var xy plotter.XYs
		for _, row := range rows {
			if row.Config == c {
				xy = append(xy, plotter.XY{X: float64(slices.Index(res, row.Resolution)), Y: y(row)})
			}
		}
		lines = append(lines, c, xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	p.NominalX(res...)
	p.Legend.Top = true
	p.Legend.Left = true
	return p.Save(20*vg.Centimeter, 14*vg.Centimeter, path)
}

// plotFPS draws frames per second per configuration, one bar per
// resolution.
func (r *Report) plotFPS(path string) error {
	res := r.resolutionNames()
	rows := r.mainRows()
	cfgs := configs(rows)
	p := plot.New()
	p.Title.Text = "Encoding speed"
	p.X.Label.Text = "frames per second (median)"
	p.Add(plotter.NewGrid())
	w := vg.Points(36 / float64(max(len(res), 1)))
	for i, rn := range res {
		vals := make(plotter.Values, len(cfgs))
		for _, row := range rows {
			if row.Resolution == rn {
				vals[slices.Index(cfgs, row.Config)] = row.FPS
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Horizontal = true
		bars.LineStyle.Width = 0
		bars.Color = plotutil.Color(i)
		bars.Offset = w * vg.Length(float64(i)-float64(len(res)-1)/2)
		p.Add(bars)
		p.Legend.Add(rn, bars)
	}
	p.NominalY(cfgs...)
	p.X.Max *= 1.2 // room for the legend
	p.Legend.Top = true
	return p.Save(20*vg.Centimeter, vg.Length(4+1.2*float64(len(cfgs)))*vg.Centimeter, path)
}

// plotRD draws the rate-distortion curves of the sweeps at one resolution.
func (r *Report) plotRD(path, res string) error {
	p := plot.New()
	p.Title.Text = "Rate-distortion, " + res
	p.X.Label.Text = "bit rate [kbit/s]"
	p.Y.Label.Text = "PSNR 6:1:1 [dB]"
	p.Add(plotter.NewGrid())
	var rows []Row
	for _, row := range r.Rows {
		if row.Resolution == res && row.Sweep != "" && row.Status == StatusOK && row.Quality != nil {
			rows = append(rows, row)
		}
	}
	var lines []any
	for _, s := range configs(rows) {
		var xy plotter.XYs
		for _, row := range rows {
			if row.Config == s {
				xy = append(xy, plotter.XY{X: row.BitrateKbps, Y: float64(row.Quality.PSNR611)})
			}
		}
		slices.SortFunc(xy, func(a, b plotter.XY) int { return cmpFloat(a.X, b.X) })
		lines = append(lines, s, xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p.Save(20*vg.Centimeter, 14*vg.Centimeter, path)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// spotCheck lays out the crops of one resolution side by side, each
// upscaled 2x (nearest neighbour) under its label, and writes a PNG.
func spotCheck(path string, tiles []labelledImage) error {
	if len(tiles) == 0 {
		return nil
	}
	const scale, labelH, gap, perRow = 2, 18, 6, 3
	tw, th := tiles[0].img.Bounds().Dx()*scale, tiles[0].img.Bounds().Dy()*scale
	cols := min(len(tiles), perRow)
	rows := (len(tiles) + perRow - 1) / perRow
	out := image.NewRGBA(image.Rect(0, 0, cols*(tw+gap)+gap, rows*(th+labelH+gap)+gap))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: out, Src: image.Black, Face: basicfont.Face7x13}
	for i, t := range tiles {
		x0 := gap + (i%perRow)*(tw+gap)
		y0 := gap + (i/perRow)*(th+labelH+gap)
		d.Dot = fixed.P(x0, y0+13)
		text := t.label
		if fit := tw / 7; len(text) > fit {
			text = text[:fit-3] + "..."
		}
		d.DrawString(text)
		b := t.img.Bounds()
		for y := 0; y < b.Dy()*scale; y++ {
			for x := 0; x < b.Dx()*scale; x++ {
				out.Set(x0+x, y0+labelH+y, t.img.At(b.Min.X+x/scale, b.Min.Y+y/scale))
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, out); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plots writes every PNG of the report into dir and returns their names,
// keyed by what they show.
func (r *Report) plots(dir string) (map[string]string, error) {
	files := map[string]string{}
	save := func(key, name string, draw func(string) error) error {
		if err := draw(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("bench: plot %s: %w", name, err)
		}
		files[key] = name
		return nil
	}
	if len(r.mainRows()) > 0 {
		if err := save("time", "time_vs_resolution.png", func(p string) error {
			return r.plotByResolution(p, "Time to encode "+fmt.Sprint(r.Config.Frames)+" frames", "time [s] (median)", func(row Row) float64 { return row.Time.Median })
		}); err != nil {
			return files, err
		}
		if err := save("size", "size_vs_resolution.png", func(p string) error {
			return r.plotByResolution(p, "Size of the encoded videos", "size [bytes]", func(row Row) float64 { return float64(row.Bytes) })
		}); err != nil {
			return files, err
		}
		if err := save("fps", "fps.png", r.plotFPS); err != nil {
			return files, err
		}
	}
	for _, res := range r.resolutionNames() {
		if r.Config.Sweep {
			if err := save("rd "+res, "rd_"+res+".png", func(p string) error { return r.plotRD(p, res) }); err != nil {
				return files, err
			}
		}
		if len(r.spots[res]) > 0 {
			if err := save("spot "+res, "spotcheck_"+res+".png", func(p string) error { return spotCheck(p, r.spots[res]) }); err != nil {
				return files, err
			}
		}
	}
	return files, nil
}
