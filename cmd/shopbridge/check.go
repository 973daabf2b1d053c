package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/check"
)

func newCheckCmd() *cobra.Command {
	var hc hostCmd
	var link string
	c := &cobra.Command{
		Use:   "check [--link ID] -c FILE",
		Short: "Verify against the live systems what the seeds ask you to create by hand, one ✓/✗ line each; exit 1 if anything is missing",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, h, err := hc.open(c.Context())
			if err != nil {
				return err
			}
			defer h.Close()
			var ids []string
			if link != "" {
				if err := checkLink(cfg, link); err != nil {
					return err
				}
				ids = []string{link}
			}
			fs, err := h.Check(c.Context(), ids...)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			current, failed := "", 0
			for _, f := range fs {
				indent := ""
				if f.Link != "" {
					if f.Link != current {
						current = f.Link
						for _, lc := range cfg.Links {
							if lc.ID == f.Link {
								fmt.Fprintf(out, "link %s (%s):\n", lc.ID, lc.Connector)
							}
						}
					}
					indent = "  "
				}
				fmt.Fprintln(out, indent+f.String())
				if !f.OK {
					failed++
				}
			}
			if check.Failed(fs) {
				return &exitError{code: 1, err: fmt.Errorf("%d prerequisite(s) missing: fix the ✗ lines above and run check again", failed)}
			}
			fmt.Fprintln(out, "all prerequisites in place")
			return nil
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "check only this link (default: every enabled link)")
	return c
}
