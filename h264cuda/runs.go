package h264cuda

// eachRun calls fn(lo, hi) for every run lo..hi-1 of consecutive true
// entries of marks, in order (transfers of the marked macroblock rows, one
// copy a run); it stops at fn's first error.
func eachRun(marks []bool, fn func(lo, hi int) error) error {
	for lo := 0; lo < len(marks); {
		if !marks[lo] {
			lo++
			continue
		}
		hi := lo + 1
		for hi < len(marks) && marks[hi] {
			hi++
		}
		if err := fn(lo, hi); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}
