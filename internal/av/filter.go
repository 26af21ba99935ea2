package av

/*
#include "shim.h"

static AVFilterContext *gpuenc_find_sink(AVFilterGraph *g) {
	for (unsigned i = 0; i < g->nb_filters; i++) {
		if (strcmp(g->filters[i]->filter->name, "buffersink") == 0) {
			return g->filters[i];
		}
	}
	return NULL;
}
*/
import "C"

import "unsafe"

// SourceGraph is a filter graph that starts at a source filter (lavfi
// generators such as testsrc2) and ends at a buffersink.
type SourceGraph struct {
	g    *C.AVFilterGraph
	sink *C.AVFilterContext
}

// NewSourceGraph parses desc (e.g. "testsrc2=size=1280x720:rate=30") and
// appends a conversion to pixFmt and a sink.
func NewSourceGraph(desc, pixFmt string) (*SourceGraph, error) {
	g := C.avfilter_graph_alloc()
	if g == nil {
		return nil, ErrNoMem
	}
	sg := &SourceGraph{g: g}
	full := desc
	if pixFmt != "" {
		full += ",format=pix_fmts=" + pixFmt
	}
	full += ",buffersink"
	cs := cString(full)
	defer freeC(cs)
	var ins, outs *C.AVFilterInOut
	if err := check("avfilter_graph_parse2", C.avfilter_graph_parse2(g, cs, &ins, &outs)); err != nil {
		sg.Free()
		return nil, err
	}
	dangling := ins != nil || outs != nil
	C.avfilter_inout_free(&ins)
	C.avfilter_inout_free(&outs)
	if dangling {
		sg.Free()
		return nil, errorf("avfilter_graph_parse2", "source %q has unconnected inputs or outputs: it must be a source filter chain", desc)
	}
	if err := check("avfilter_graph_config", C.avfilter_graph_config(g, nil)); err != nil {
		sg.Free()
		return nil, err
	}
	sg.sink = C.gpuenc_find_sink(g)
	return sg, nil
}

// Read takes the next frame from the graph; IsEOF at the end.
func (sg *SourceGraph) Read(f *Frame) error {
	ret := C.av_buffersink_get_frame(sg.sink, f.p)
	if ret < 0 {
		return codeError("av_buffersink_get_frame", ret)
	}
	return nil
}

// Output describes the sink's frames.
func (sg *SourceGraph) Output() StreamInfo {
	fr := C.av_buffersink_get_frame_rate(sg.sink)
	tb := C.av_buffersink_get_time_base(sg.sink)
	return StreamInfo{
		Codec:       "rawvideo",
		Width:       int(C.av_buffersink_get_w(sg.sink)),
		Height:      int(C.av_buffersink_get_h(sg.sink)),
		PixelFormat: PixelFormatName(int(C.av_buffersink_get_format(sg.sink))),
		FrameRate:   Rational{int(fr.num), int(fr.den)},
		TimeBase:    Rational{int(tb.num), int(tb.den)},
	}
}

// Free releases the graph.
func (sg *SourceGraph) Free() {
	if sg != nil && sg.g != nil {
		C.avfilter_graph_free(&sg.g)
	}
}

var _ = unsafe.Pointer(nil)
