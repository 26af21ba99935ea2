package h264

// Plane is one 8-bit sample plane: Width×Height samples, row y starting at
// Pix[y*Stride].
type Plane struct {
	Width, Height int
	Stride        int
	Pix           []uint8
}

// Picture is one 4:2:0 picture: a luma plane and two chroma planes of half
// width and height (rounded up).
type Picture struct {
	Y, Cb, Cr Plane
}
