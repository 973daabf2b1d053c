package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/mapping"
)

func newRunCmd() *cobra.Command {
	var path string
	c := &cobra.Command{
		Use:   "run -c FILE",
		Short: "Run the host: open every link, import orders, sync products and stock, serve webhooks, /healthz and /readyz until SIGINT or SIGTERM",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := newLogger(cfg.Log)
			h, err := host.New(ctx, cfg, host.Options{Logger: log})
			if err != nil {
				return err
			}
			// SIGHUP is taken before the pid file names this process, so a
			// reload can never kill a host that has not listened for it yet.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			removePID, err := writePIDFile(cfg)
			if err != nil {
				h.Close()
				return err
			}
			defer removePID()
			h.Handle(host.CallbackPattern, host.OAuthCallback(h))
			go h.KeepCredentialsFresh(ctx, time.Minute, 10*time.Minute)
			go reloadOnHUP(ctx, hup, path, h, log)
			return h.Run(ctx)
		},
	}
	c.Flags().StringVarP(&path, "config", "c", "", "configuration file (YAML)")
	_ = c.MarkFlagRequired("config")
	return c
}

// reloadOnHUP re-reads the configuration on every SIGHUP and applies it
// (see host.Reload); a configuration that does not load changes nothing.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, path string, h *host.Host, log hclog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		log.Info("SIGHUP: reloading the configuration", "path", path)
		cfg, err := loadConfig(path)
		if err != nil {
			log.Error("configuration not reloaded; the host runs on as before", "error", err)
			h.AuditReload(ctx, err.Error(), false)
			continue
		}
		rep, err := h.Reload(ctx, cfg)
		if err != nil {
			log.Error("reload failed", "error", err)
			continue
		}
		log.Info("reloaded", "result", rep.String())
	}
}

// loadConfig loads a configuration for a command other than validate, where
// the problems are summarised on one line.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path, config.WithRuleChecker(mapping.CheckRule))
	if err != nil {
		return nil, fmt.Errorf("configuration %s is not valid (%v): run \"shopbridge validate -c %s\" to see every problem", path, firstLine(err), path)
	}
	return cfg, nil
}

func firstLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i] + " …"
		}
	}
	return s
}

// newLogger makes the host's log from the log settings: JSON when asked
// for, or when "auto" and stderr is not a terminal.
func newLogger(l config.Log) hclog.Logger {
	json := l.Format == "json" || l.Format != "text" && !isatty.IsTerminal(os.Stderr.Fd())
	return hclog.New(&hclog.LoggerOptions{
		Name:       "shopbridge",
		Level:      hclog.LevelFromString(l.Level),
		Output:     os.Stderr,
		JSONFormat: json,
	})
}
