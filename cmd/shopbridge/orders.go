package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/flow"
)

func newOrdersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "orders",
		Short: "Work on a link's orders",
	}
	c.AddCommand(newOrdersImportCmd())
	return c
}

func newOrdersImportCmd() *cobra.Command {
	var hc hostCmd
	var link, id string
	var force bool
	c := &cobra.Command{
		Use:   "import --link ID --id CHANNEL_ORDER_ID -c FILE",
		Short: "Import one channel order into Rackbeat now (the seeds' \"sync this order id\"); an order already imported is not imported again unless --force",
		Long: `Import one channel order into Rackbeat now, in this process, through the link's
order settings. An order that was imported before is reported with its Rackbeat
number and left alone; --force imports it again, which creates a duplicate.

Exit status: 0 when the order is in Rackbeat, 1 when it was quarantined, has not
reached the link's trigger state yet, or could not be read.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, h, err := hc.open(c.Context())
			if err != nil {
				return err
			}
			defer h.Close()
			if err := checkLink(cfg, link); err != nil {
				return err
			}
			res, err := h.ImportOrder(c.Context(), link, id, force)
			if err != nil {
				return fmt.Errorf("order %s of link %s was not imported: %w", id, link, err)
			}
			out := c.OutOrStdout()
			switch res.Outcome {
			case flow.Imported:
				fmt.Fprintf(out, "imported as Rackbeat order %d\n", res.RackbeatNumber)
			case flow.Healed:
				fmt.Fprintf(out, "imported as Rackbeat order %d (an interrupted import had created it; now recorded)\n", res.RackbeatNumber)
			case flow.AlreadyImported:
				fmt.Fprintf(out, "already imported as Rackbeat order %d (use --force to import it again; that creates a duplicate)\n", res.RackbeatNumber)
			case flow.CancelReflected:
				fmt.Fprintf(out, "cancelled in the channel: cancellation carried to Rackbeat order %d\n", res.RackbeatNumber)
			case flow.Quarantined:
				fmt.Fprintf(out, "quarantined: %s\n", res.Reason)
				return silent(1)
			case flow.NotTriggered:
				fmt.Fprintf(out, "not yet: %s\n", res.Reason)
				return silent(1)
			case flow.SkippedCancel:
				fmt.Fprintln(out, "not imported: the order was cancelled in the channel before it was imported")
				return silent(1)
			default:
				fmt.Fprintf(out, "%s: %s\n", res.Outcome, res.Reason)
				return silent(1)
			}
			return nil
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "the link's id")
	c.Flags().StringVar(&id, "id", "", "the order's id in the channel")
	c.Flags().BoolVar(&force, "force", false, "import even if it was imported before (creates a duplicate in Rackbeat)")
	_ = c.MarkFlagRequired("link")
	_ = c.MarkFlagRequired("id")
	return c
}
