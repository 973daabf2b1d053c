package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/status"
)

func newQuarantineCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "quarantine",
		Short: "List, retry and drop what the flows could not process on their own",
	}
	c.AddCommand(newQuarantineListCmd(), newQuarantineRetryCmd(), newQuarantineDropCmd())
	return c
}

// quarantineJSON is one item as `list --json` shows it: never the payload,
// which may carry customer data.
type quarantineJSON struct {
	ID         int64     `json:"id"`
	Link       string    `json:"link"`
	Flow       string    `json:"flow"`
	Key        string    `json:"key"`
	Attempts   int       `json:"attempts"`
	Reason     string    `json:"reason"`
	LastError  string    `json:"last_error,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	AgeSeconds int64     `json:"age_seconds"`
}

func newQuarantineListCmd() *cobra.Command {
	var hc hostCmd
	var link string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--link ID] [--json] -c FILE",
		Short: "List quarantined items: id, link, flow, key, attempts, age and what to fix",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, db, err := hc.openStore(c.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if link != "" {
				if err := checkLink(cfg, link); err != nil {
					return err
				}
			}
			var items []state.QuarantineItem
			for after := int64(0); ; {
				page, err := db.ListQuarantine(c.Context(), state.QuarantineFilter{Link: link, AfterID: after, Limit: 500})
				if err != nil {
					return fmt.Errorf("list the quarantine: %w", err)
				}
				items = append(items, page...)
				if len(page) < 500 {
					break
				}
				after = page[len(page)-1].ID
			}
			now := time.Now()
			out := c.OutOrStdout()
			if asJSON {
				list := make([]quarantineJSON, 0, len(items))
				for _, it := range items {
					list = append(list, quarantineJSON{ID: it.ID, Link: it.Link, Flow: it.Flow, Key: it.Key, Attempts: it.Attempts,
						Reason: it.Reason, LastError: it.LastError, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
						AgeSeconds: int64(now.Sub(it.CreatedAt).Seconds())})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			if len(items) == 0 {
				fmt.Fprintln(out, "quarantine is empty")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tLINK\tFLOW\tKEY\tATTEMPTS\tAGE\tREASON")
			for _, it := range items {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", it.ID, it.Link, it.Flow, it.Key, it.Attempts, age(now.Sub(it.CreatedAt)), oneLine(it.Reason))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d item(s): fix the reason, then \"shopbridge quarantine retry ID -c %s\", or drop what you gave up on\n", len(items), hc.path)
			return nil
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "only this link's items")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func parseItemID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a quarantine item id: use the ID column of \"shopbridge quarantine list\"", arg)
	}
	return id, nil
}

func newQuarantineRetryCmd() *cobra.Command {
	var hc hostCmd
	c := &cobra.Command{
		Use:   "retry ID -c FILE",
		Short: "Queue a quarantined item again; the running host picks it up",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseItemID(args[0])
			if err != nil {
				return err
			}
			_, h, err := hc.open(c.Context())
			if err != nil {
				return err
			}
			defer h.Close()
			it, ok, err := h.Store().QuarantineItem(c.Context(), id)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("quarantine item %d does not exist (retried or dropped already?): see \"shopbridge quarantine list -c %s\"", id, hc.path)
			}
			if err := status.FromState(h.Store(), h.Scheduler(), nil).Retry(c.Context(), id); err != nil {
				return fmt.Errorf("quarantine item %d was not retried: %w", id, err)
			}
			fmt.Fprintf(c.OutOrStdout(), "quarantine item %d (link %s, %s %s) is queued again: the running host (shopbridge run) picks it up; if it fails again it comes back to the quarantine\n", id, it.Link, it.Flow, it.Key)
			return nil
		},
	}
	hc.flags(c)
	return c
}

func newQuarantineDropCmd() *cobra.Command {
	var hc hostCmd
	c := &cobra.Command{
		Use:   "drop ID -c FILE",
		Short: "Remove a quarantined item you have given up on or fixed by hand",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseItemID(args[0])
			if err != nil {
				return err
			}
			_, db, err := hc.openStore(c.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.DropQuarantine(c.Context(), id); err != nil {
				if errors.Is(err, state.ErrNotFound) {
					return fmt.Errorf("quarantine item %d does not exist (retried or dropped already?): see \"shopbridge quarantine list -c %s\"", id, hc.path)
				}
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "quarantine item %d dropped\n", id)
			return nil
		},
	}
	hc.flags(c)
	return c
}

// age renders a duration the way people say it: 40s, 12m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " ") }
