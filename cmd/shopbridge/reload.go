package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/state"
)

func newReloadCmd() *cobra.Command {
	var hc hostCmd
	var wait time.Duration
	c := &cobra.Command{
		Use:   "reload -c FILE",
		Short: "Make the running host re-read its configuration (SIGHUP): links whose connector constraint changed move to the version it selects",
		Long: `Check the configuration, then send SIGHUP to the running host (found through
the pid file shopbridge run writes beside the state database) and wait for it
to say what it did. Each link whose connector constraint changed is drained,
opened on the version the new constraint selects, and resumed; its old
connector process stops when no link uses it. Other links are not touched;
other changes need a restart and are listed.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			cfg, db, err := hc.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			pid, ok := runningPID(cfg)
			if !ok {
				return fmt.Errorf("no running host found through %s: start it with shopbridge run -c %s (it reads the configuration when it starts)", pidFile(cfg), hc.path)
			}
			before, err := newestAudit(ctx, db)
			if err != nil {
				return err
			}
			if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
				return fmt.Errorf("signal the host (pid %d from %s): %w", pid, pidFile(cfg), err)
			}
			fmt.Fprintf(c.OutOrStdout(), "asked the host (pid %d) to reload %s\n", pid, hc.path)
			if wait <= 0 {
				return nil
			}
			deadline := time.Now().Add(wait)
			for time.Now().Before(deadline) {
				es, err := db.ListAudit(ctx, "", 50)
				if err != nil {
					return err
				}
				for i := len(es) - 1; i >= 0; i-- {
					e := es[i]
					if e.ID <= before.ID || e.Link != "" || e.Flow != host.ReloadAuditFlow {
						continue
					}
					if e.Action != "reloaded" {
						return fmt.Errorf("the host did not reload: %s", e.Detail)
					}
					fmt.Fprintf(c.OutOrStdout(), "reloaded: %s\n", e.Detail)
					return nil
				}
				time.Sleep(200 * time.Millisecond)
			}
			return fmt.Errorf("the host (pid %d) did not report a reload within %s: see its log", pid, wait)
		},
	}
	hc.flags(c)
	c.Flags().DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for the host to report; 0 only sends the signal")
	return c
}

// newestAudit is the newest entry of the whole audit trail (zero when it
// is empty): anything after it was written later.
func newestAudit(ctx context.Context, db *state.DB) (state.AuditEntry, error) {
	es, err := db.ListAudit(ctx, "", 1)
	if err != nil {
		return state.AuditEntry{}, fmt.Errorf("read the audit trail: %w", err)
	}
	if len(es) == 0 {
		return state.AuditEntry{}, nil
	}
	return es[0], nil
}
