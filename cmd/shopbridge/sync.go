package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/flow"
	"github.com/shopbridge/shopbridge/core/state"
)

func newPlanCmd() *cobra.Command {
	var hc hostCmd
	var link string
	var asJSON bool
	c := &cobra.Command{
		Use:   "plan --link ID [--json] -c FILE",
		Short: "Dry-run the products and stock flows of a link: what would be created, updated, left alone, and what conflicts or cannot be matched; writes nothing",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, h, err := hc.open(c.Context())
			if err != nil {
				return err
			}
			defer h.Close()
			if err := checkLink(cfg, link); err != nil {
				return err
			}
			flows, _, err := h.Flows(c.Context(), link)
			if err != nil {
				return err
			}
			rep, err := flow.Plan(c.Context(), flows)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			fmt.Fprint(c.OutOrStdout(), rep.String())
			return nil
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "the link to plan")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = c.MarkFlagRequired("link")
	return c
}

func newSyncCmd() *cobra.Command {
	var hc hostCmd
	var link, which string
	var force bool
	c := &cobra.Command{
		Use:   "sync --link ID --flow products|stock|initial [--force] -c FILE",
		Short: "Run one flow of a link now, showing its progress: products or stock (a full reconciliation), or the once-only initial sync",
		Long: `Run one flow of a link now, in this process, and show how it goes: a progress bar
on a terminal, plain lines every few seconds otherwise.

  products  compare both catalogues and carry the differences in the link's direction
  stock     compare every level with Rackbeat's and write those that drifted
  initial   the link's initial sync (channel → Rackbeat); it runs once per link,
            and a second run is refused unless --force`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if force && which != "initial" {
				return fmt.Errorf("--force applies to --flow initial only: products and stock can run any time")
			}
			ctx := c.Context()
			cfg, h, err := hc.open(ctx)
			if err != nil {
				return err
			}
			defer h.Close()
			if err := checkLink(cfg, link); err != nil {
				return err
			}
			flows, initial, err := h.Flows(ctx, link)
			if err != nil {
				return err
			}
			tty := isatty.IsTerminal(os.Stderr.Fd())
			out := c.OutOrStdout()
			switch which {
			case "products":
				if flows.Products == nil {
					return fmt.Errorf("link %s has no products flow: set links[].products.direction (and use a connector that reads and writes products)", link)
				}
				rep, err := ticking(ctx, newProgress(c.ErrOrStderr(), "products of link "+link, tty), func() (flow.Report, error) { return flows.Products.Reconcile(ctx) })
				if err != nil {
					return fmt.Errorf("products sync of link %s stopped: %w", link, err)
				}
				fmt.Fprintf(out, "products of link %s: %d created and %d updated in the channel, %d created and %d updated in Rackbeat, %d unchanged, %d conflicts, %d cannot be matched, %d quarantined\n",
					link, rep.ChannelCreated, rep.ChannelUpdated, rep.RackbeatCreated, rep.RackbeatUpdated, rep.Unchanged, rep.Conflicts, rep.Unmatched, rep.Quarantined)
			case "stock":
				if flows.Stock == nil {
					return fmt.Errorf("link %s has no stock flow: set links[].stock.enabled (and use a connector that writes stock)", link)
				}
				rep, err := ticking(ctx, newProgress(c.ErrOrStderr(), "stock of link "+link, tty), func() (flow.StockReport, error) { return flows.Stock.Reconcile(ctx) })
				if err != nil {
					return fmt.Errorf("stock sync of link %s stopped: %w", link, err)
				}
				fmt.Fprintf(out, "stock of link %s: %d levels written in %d batches, %d right already, %d not in the channel, %d quarantined\n",
					link, rep.Rows, rep.Batches, rep.Unchanged, rep.NotInChannel, rep.Quarantined)
			case "initial":
				if initial == nil {
					return fmt.Errorf("link %s has no initial sync: set links[].initial_sync to channel (and use a connector that reads products)", link)
				}
				bar := newProgress(c.ErrOrStderr(), "initial sync of link "+link, tty)
				initial.Progress = bar.update
				rep, err := initial.Run(ctx, force)
				bar.finish()
				var ran state.ErrInitialSyncRan
				if errors.As(err, &ran) {
					return fmt.Errorf("initial sync of link %s already ran at %s: use --force to run it again", link, ran.At.Local().Format(time.DateTime))
				}
				if err != nil {
					return err
				}
				resumed := ""
				if rep.Resumed {
					resumed = " (resumed where an earlier run stopped)"
				}
				fmt.Fprintf(out, "initial sync of link %s done%s: %d variants read, %d created, %d updated, %d unchanged in Rackbeat, %d without SKU skipped, %d stock levels set\n",
					link, resumed, rep.Done, rep.Created, rep.Updated, rep.Unchanged, rep.Skipped, rep.StockRows)
			default:
				return fmt.Errorf("--flow %q is not a flow: use products, stock or initial", which)
			}
			return nil
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "the link")
	c.Flags().StringVar(&which, "flow", "", "products, stock or initial")
	c.Flags().BoolVar(&force, "force", false, "run the initial sync again although it ran before")
	_ = c.MarkFlagRequired("link")
	_ = c.MarkFlagRequired("flow")
	return c
}

// ticking runs fn while showing that it is alive: the products and stock
// flows report their counts only at the end.
func ticking[T any](ctx context.Context, p *progress, fn func() (T, error)) (T, error) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.tick()
			}
		}
	}()
	v, err := fn()
	close(done)
	<-stopped
	p.finish()
	return v, err
}
