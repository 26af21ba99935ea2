package gpuenc

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/gpuenc/gpuenc/internal/av"
)

// LogLevel is an FFmpeg log level, as the study's set_log_level takes.
type LogLevel int

// FFmpeg's log levels.
const (
	LogQuiet   LogLevel = LogLevel(av.LogQuiet)
	LogPanic   LogLevel = LogLevel(av.LogPanic)
	LogFatal   LogLevel = LogLevel(av.LogFatal)
	LogError   LogLevel = LogLevel(av.LogError)
	LogWarning LogLevel = LogLevel(av.LogWarning)
	LogInfo    LogLevel = LogLevel(av.LogInfo)
	LogVerbose LogLevel = LogLevel(av.LogVerbose)
	LogDebug   LogLevel = LogLevel(av.LogDebug)
	LogTrace   LogLevel = LogLevel(av.LogTrace)
)

// SetLogLevel sets how much of FFmpeg's log reaches the log output. The
// default is LogError. Warnings and errors are captured for FFmpegError's
// Log field whatever the level.
func SetLogLevel(l LogLevel) { av.SetLogLevel(int(l)) }

var logOut struct {
	sync.Mutex
	w io.Writer
}

// SetLogOutput sends FFmpeg's log lines to w (nil: nowhere). The default is
// standard error.
func SetLogOutput(w io.Writer) {
	if w == nil {
		av.SetLogSink(nil)
		return
	}
	av.SetLogSink(func(_ int, line string) {
		logOut.Lock()
		defer logOut.Unlock()
		io.WriteString(w, line+"\n")
	})
}

// SetLogger sends FFmpeg's log lines to a structured logger, at the
// matching slog level.
func SetLogger(l *slog.Logger) {
	if l == nil {
		av.SetLogSink(nil)
		return
	}
	av.SetLogSink(func(level int, line string) {
		sl := slog.LevelDebug
		switch {
		case level <= av.LogError:
			sl = slog.LevelError
		case level <= av.LogWarning:
			sl = slog.LevelWarn
		case level <= av.LogInfo:
			sl = slog.LevelInfo
		}
		l.Log(context.Background(), sl, strings.TrimSpace(line), "source", "ffmpeg")
	})
}

func init() {
	SetLogOutput(stderr{})
}

// stderr writes to os.Stderr at call time, so tests that swap it still see
// output.
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
