// Package kernels holds the CUDA C sources of h264_cuda (one .cu file per
// stage of package h264, with the headers they include) and what nvcc
// makes of them, embedded in the binary: the PTX (NAME.ptx, which the
// driver compiles for any GPU of compute capability 8.0 or later) and a
// fatbin (NAME.fatbin: the same code compiled for sm_80 and sm_90, which
// those GPUs load without compiling, and the PTX for the others).
//
// Each .ptx file starts with a comment line naming the SHA-256 of the .cu
// file it was made from and of every header that file includes (directly or
// through other headers), and NAME.fatbin.hash holds the same line for the
// fatbin; Stale compares those with the embedded sources, so a test fails
// when a .cu or .h file changed without its PTX and fatbin being
// regenerated with scripts/gen-ptx.sh.
package kernels

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

//go:embed *.cu *.h *.ptx *.fatbin *.fatbin.hash
var files embed.FS

// HashPrefix starts the first line of every generated PTX file; the
// "name=sha256hex" pairs of the sources follow, separated by spaces.
const HashPrefix = "// h264cuda sources sha256:"

// RegenerateCommand is the command that rebuilds every PTX file from its
// sources (needs nvcc; see the script's header).
const RegenerateCommand = "scripts/gen-ptx.sh"

// pending lists the stages whose kernels are tested through the C
// emulation but have no PTX yet (they wait for a session with nvcc and a
// GPU; scripts/gen-ptx.sh makes it, then the stage leaves this list).
// Empty since inter.ptx was generated and verified on an H200.
var pending = map[string]bool{}

// Pending reports whether stage name has no PTX yet by design (see
// pending); Stale accepts a missing PTX only for those.
func Pending(name string) bool { return pending[name] }

// ErrNotFound is returned for a kernel file that is not embedded.
var ErrNotFound = errors.New("kernels: no such file")

// Names returns the stage names (the .cu files without extension), sorted.
func Names() []string {
	ents, _ := fs.Glob(files, "*.cu")
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = strings.TrimSuffix(e, ".cu")
	}
	slices.Sort(names)
	return names
}

// Source returns the embedded source file name (e.g. "motion.cu",
// "common.h").
func Source(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return b, nil
}

// PTX returns the PTX of stage name (e.g. "motion"), header line included.
func PTX(name string) (string, error) {
	b, err := files.ReadFile(name + ".ptx")
	if err != nil {
		return "", fmt.Errorf("%w: %s.ptx", ErrNotFound, name)
	}
	return string(b), nil
}

// Fatbin returns the fatbin of stage name (e.g. "motion"): a CUDA fatbin
// image for cuda.Context.LoadModule.
func Fatbin(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".fatbin")
	if err != nil {
		return nil, fmt.Errorf("%w: %s.fatbin", ErrNotFound, name)
	}
	return b, nil
}

var includeRE = regexp.MustCompile(`(?m)^\s*#\s*include\s+"([^"]+)"`)

// Hashes returns the "name=sha256hex" pairs, sorted by name, of stage
// name's .cu file and of every header it includes through quoted
// #include directives, as the PTX header line must list them.
func Hashes(name string) ([]string, error) {
	seen := map[string]bool{}
	var pairs []string
	var walk func(file string) error
	walk = func(file string) error {
		if seen[file] {
			return nil
		}
		seen[file] = true
		src, err := Source(file)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(src)
		pairs = append(pairs, file+"="+hex.EncodeToString(sum[:]))
		for _, m := range includeRE.FindAllSubmatch(src, -1) {
			if err := walk(string(m[1])); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(name + ".cu"); err != nil {
		return nil, err
	}
	slices.Sort(pairs)
	return pairs, nil
}

// HeaderLine returns the first line stage name's PTX must carry.
func HeaderLine(name string) (string, error) {
	pairs, err := Hashes(name)
	if err != nil {
		return "", err
	}
	return HashPrefix + " " + strings.Join(pairs, " "), nil
}

// StaleError reports a PTX file that does not match its sources.
type StaleError struct {
	Name      string // the stage
	Want, Got string // the header line the sources need, the PTX's first line
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("kernels: %s.ptx or %s.fatbin was not regenerated after its sources changed: run %s (on a machine with nvcc) and commit both\n  sources: %s\n  made of: %s",
		e.Name, e.Name, RegenerateCommand, e.Want, e.Got)
}

// Stale returns a *StaleError when stage name's PTX or fatbin was made
// from other sources than the embedded ones, an error when a stage that
// is not pending has no PTX or no fatbin (or a pending one has), or nil.
func Stale(name string) error {
	want, err := HeaderLine(name)
	if err != nil {
		return err
	}
	ptx, err := PTX(name)
	if pending[name] {
		if err == nil {
			return fmt.Errorf("kernels: %s.ptx exists: remove %q from the pending list", name, name)
		}
		return nil
	}
	if err != nil {
		return err
	}
	got, _, _ := strings.Cut(ptx, "\n")
	if strings.TrimRight(got, "\r") != want {
		return &StaleError{Name: name, Want: want, Got: got}
	}
	if _, err := Fatbin(name); err != nil {
		return err
	}
	hash, err := files.ReadFile(name + ".fatbin.hash")
	if err != nil {
		return fmt.Errorf("%w: %s.fatbin.hash", ErrNotFound, name)
	}
	if got := strings.TrimRight(string(hash), "\r\n"); got != want {
		return &StaleError{Name: name, Want: want, Got: got}
	}
	return nil
}
