package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/state"
)

// verbose makes one-shot commands show the host's log on stderr; without
// it they print only their own lines.
var verbose bool

// hostCmd holds what every command that works on a configured host shares.
type hostCmd struct {
	path string
}

func (hc *hostCmd) flags(c *cobra.Command) {
	c.Flags().StringVarP(&hc.path, "config", "c", "", "configuration file (YAML)")
	_ = c.MarkFlagRequired("config")
}

// open loads the configuration and builds a host that runs nothing: the
// command opens what it needs. Close it when done.
func (hc *hostCmd) open(ctx context.Context) (*config.Config, *host.Host, error) {
	cfg, err := loadConfig(hc.path)
	if err != nil {
		return nil, nil, err
	}
	log := hclog.NewNullLogger()
	if verbose {
		log = hclog.New(&hclog.LoggerOptions{Name: "shopbridge", Level: hclog.Info, Output: os.Stderr})
	}
	h, err := host.New(ctx, cfg, host.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return cfg, h, nil
}

// openStore opens only the state database, for commands that read it.
func (hc *hostCmd) openStore(ctx context.Context) (*config.Config, *state.DB, error) {
	cfg, err := loadConfig(hc.path)
	if err != nil {
		return nil, nil, err
	}
	db, err := state.Open(ctx, state.Options{Driver: cfg.State.Driver, Path: cfg.State.Path, DSN: cfg.State.DSN.Value(), Logger: hclog.NewNullLogger()})
	if err != nil {
		return nil, nil, fmt.Errorf("open the state database of %s: %w", hc.path, err)
	}
	return cfg, db, nil
}

// checkLink returns an error naming the configured links when id is not
// one of them.
func checkLink(cfg *config.Config, id string) error {
	ids := make([]string, len(cfg.Links))
	for i, l := range cfg.Links {
		if l.ID == id {
			return nil
		}
		ids[i] = l.ID
	}
	return fmt.Errorf("no link %q in the configuration: use one of %s", id, strings.Join(ids, ", "))
}

// pidFile is where `run` records its process id: beside the SQLite file,
// or beside the lock file when the state is in PostgreSQL.
func pidFile(cfg *config.Config) string {
	if cfg.State.Driver == state.DriverPostgres {
		return filepath.Join(filepath.Dir(cfg.Plugins.Lock), "shopbridge.pid")
	}
	return cfg.State.Path + ".pid"
}

// runningPID returns the pid of the `run` recorded in the pid file, if that
// process is alive.
func runningPID(cfg *config.Config) (int, bool) {
	b, err := os.ReadFile(pidFile(cfg))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0, false
	}
	return pid, true
}

// writePIDFile records this process as the running host, refusing when
// another live one is recorded for the same state.
func writePIDFile(cfg *config.Config) (remove func(), err error) {
	path := pidFile(cfg)
	if pid, ok := runningPID(cfg); ok && pid != os.Getpid() {
		return nil, fmt.Errorf("another shopbridge run (pid %d) uses this state (%s): stop it first, or remove %s if that process is not shopbridge", pid, path, path)
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write the pid file %s (used by shopbridge reload): %w", path, err)
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
			_ = os.Remove(path)
		}
	}, nil
}

// silent is an exit code without a message: the command printed its
// outcome already.
func silent(code int) error { return &exitError{code: code, err: errors.New("")} }
