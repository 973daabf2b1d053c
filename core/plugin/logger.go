package plugin

import "github.com/hashicorp/go-hclog"

// pluginLogger is the logger handed to go-plugin. go-plugin relays each line
// a connector writes to stderr through Named(...), so Named answers with
// the connector's own logger and its lines keep their level under the
// connector's name. go-plugin's own lines about the process ("plugin
// process exited", "plugin failed to exit gracefully") are demoted to
// debug: the manager logs what matters about a process itself, and a
// normal stop must not read like a failure.
type pluginLogger struct {
	hclog.Logger // the manager's logger, for go-plugin's own lines
	connector    hclog.Logger
}

func (l pluginLogger) Named(string) hclog.Logger      { return l.connector }
func (l pluginLogger) ResetNamed(string) hclog.Logger { return l.connector }
func (l pluginLogger) Info(msg string, args ...any)   { l.Logger.Debug(msg, args...) }
func (l pluginLogger) Warn(msg string, args ...any)   { l.Logger.Debug(msg, args...) }
func (l pluginLogger) Error(msg string, args ...any)  { l.Logger.Debug(msg, args...) }

func (l pluginLogger) Log(level hclog.Level, msg string, args ...any) {
	l.Logger.Log(min(level, hclog.Debug), msg, args...)
}
