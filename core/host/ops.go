package host

import (
	"context"

	"github.com/shopbridge/shopbridge/core/check"
)

// Check verifies the prerequisites of the seeds against the live systems:
// the Rackbeat account, then for each link (all enabled links when ids is
// empty) what core/check finds through its connector. A link that cannot
// be opened is a failed finding, not an error; the error is for a link id
// the configuration does not have.
func (h *Host) Check(ctx context.Context, ids ...string) ([]check.Finding, error) {
	if len(ids) == 0 {
		for _, lc := range h.cfg.Links {
			if !lc.Disabled {
				ids = append(ids, lc.ID)
			}
		}
	}
	for _, id := range ids {
		if _, err := h.linkConfig(id); err != nil {
			return nil, err
		}
	}
	acc := check.Rackbeat(ctx, h.rb)
	out := []check.Finding{acc}
	runner, err := check.NewRunner(ctx, h.rb)
	if err != nil {
		if acc.OK {
			out = append(out, check.Finding{Name: "Rackbeat reference data", Detail: err.Error(), Hint: "the token may lack access to settings; check its permissions"})
		}
		return out, nil
	}
	for _, id := range ids {
		lc, _ := h.linkConfig(id)
		l, err := h.OpenLink(ctx, id)
		if err != nil {
			out = append(out, runner.Link(ctx, lc, nil, err)...)
			continue
		}
		out = append(out, runner.Link(ctx, lc, l.plugin, nil)...)
	}
	return out, nil
}

// LinkIDs lists the configured links' ids, in configuration order.
func (h *Host) LinkIDs() []string {
	ids := make([]string, len(h.cfg.Links))
	for i, l := range h.cfg.Links {
		ids[i] = l.ID
	}
	return ids
}
