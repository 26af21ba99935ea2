package av

/*
#include "shim.h"
*/
import "C"

import (
	"strings"
	"sync"
)

// Log levels, FFmpeg's own numbers (libavutil/log.h).
const (
	LogQuiet   = int(C.AV_LOG_QUIET)
	LogPanic   = int(C.AV_LOG_PANIC)
	LogFatal   = int(C.AV_LOG_FATAL)
	LogError   = int(C.AV_LOG_ERROR)
	LogWarning = int(C.AV_LOG_WARNING)
	LogInfo    = int(C.AV_LOG_INFO)
	LogVerbose = int(C.AV_LOG_VERBOSE)
	LogDebug   = int(C.AV_LOG_DEBUG)
	LogTrace   = int(C.AV_LOG_TRACE)
)

// LogSink receives FFmpeg's log lines at or below the level set with
// SetLogLevel. It is called from FFmpeg's threads and must be safe for
// concurrent use.
type LogSink func(level int, line string)

// recentLines is how many lines errors carry.
const recentLines = 6

var logState struct {
	sync.Mutex
	sink    LogSink
	level   int
	ring    [recentLines]string
	next, n int
	partial strings.Builder
}

func init() {
	logState.level = LogError
}

// SetLogLevel sets the level up to which lines reach the sink. Warnings and
// errors are always captured for the Log field of errors, whatever the level.
func SetLogLevel(level int) {
	logState.Lock()
	logState.level = level
	logState.Unlock()
	C.gpuenc_set_log_level(C.int(max(level, LogWarning)))
}

// SetLogSink sets the function that receives log lines (nil: none).
func SetLogSink(s LogSink) {
	logState.Lock()
	logState.sink = s
	logState.Unlock()
}

//export gpuencLogLine
func gpuencLogLine(level C.int, line *C.char) {
	text := C.GoString(line)
	logState.Lock()
	// FFmpeg logs some lines in pieces; join them until the newline.
	logState.partial.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		logState.Unlock()
		return
	}
	full := strings.TrimRight(logState.partial.String(), "\n")
	logState.partial.Reset()
	if int(level) <= LogWarning && strings.TrimSpace(full) != "" {
		logState.ring[logState.next] = strings.TrimSpace(full)
		logState.next = (logState.next + 1) % recentLines
		logState.n = min(logState.n+1, recentLines)
	}
	sink, lvl := logState.sink, logState.level
	logState.Unlock()
	if sink != nil && int(level) <= lvl {
		sink(int(level), full)
	}
}

// recentLog returns the last warning and error lines, oldest first, and
// clears them so that the next error does not repeat them.
func recentLog() []string {
	logState.Lock()
	defer logState.Unlock()
	if logState.n == 0 {
		return nil
	}
	out := make([]string, 0, logState.n)
	start := (logState.next - logState.n + recentLines) % recentLines
	for i := 0; i < logState.n; i++ {
		out = append(out, logState.ring[(start+i)%recentLines])
	}
	logState.n = 0
	return out
}
