package schedule

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// slogFor lets River, which logs through log/slog, write to the host's
// hclog logger. River's Info lines are routine (leadership, maintenance) and
// go to Debug.
func slogFor(l hclog.Logger) *slog.Logger { return slog.New(hclogHandler{l: l}) }

type hclogHandler struct {
	l hclog.Logger
}

func level(l slog.Level) hclog.Level {
	switch {
	case l >= slog.LevelError:
		return hclog.Error
	case l >= slog.LevelWarn:
		return hclog.Warn
	case l >= slog.LevelInfo:
		return hclog.Debug
	}
	return hclog.Trace
}

func (h hclogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return h.l.GetLevel() <= level(l)
}

func (h hclogHandler) Handle(_ context.Context, r slog.Record) error {
	args := make([]any, 0, 2*r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, a.Key, a.Value.Resolve().Any())
		return true
	})
	h.l.Log(level(r.Level), r.Message, args...)
	return nil
}

func (h hclogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	args := make([]any, 0, 2*len(attrs))
	for _, a := range attrs {
		args = append(args, a.Key, a.Value.Resolve().Any())
	}
	return hclogHandler{l: h.l.With(args...)}
}

func (h hclogHandler) WithGroup(name string) slog.Handler {
	return hclogHandler{l: h.l.Named(name)}
}
