package flow

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shopbridge/shopbridge/sdk"
)

// LinkFlows is one link's products and stock flows as the host wires them;
// either may be nil when the link does not run it.
type LinkFlows struct {
	Link     string
	Products *Products
	Stock    *Stock
}

// PlanItem is one SKU the products flow would act on.
type PlanItem struct {
	SKU      string     `json:"sku"`
	Action   PlanAction `json:"action"`
	Fields   []string   `json:"fields,omitempty"`
	Conflict bool       `json:"conflict,omitempty"`
	Winner   string     `json:"winner,omitempty"` // "rackbeat" or "channel" when both changed
	Reason   string     `json:"reason,omitempty"`
}

// StockPlanItem is one stock level the stock flow would write.
type StockPlanItem struct {
	SKU      string `json:"sku"`
	Location string `json:"location"`
	From     int64  `json:"from"`
	To       int64  `json:"to"`
}

// PlanReport is a dry run of a link's products and stock flows.
type PlanReport struct {
	Link      string          `json:"link"`
	Direction string          `json:"direction"`
	Products  Report          `json:"products"`
	Items     []PlanItem      `json:"items"` // everything but the unchanged
	Stock     *StockReport    `json:"stock,omitempty"`
	Levels    []StockPlanItem `json:"levels,omitempty"`
}

// Empty reports whether the plan has nothing to do.
func (p PlanReport) Empty() bool {
	return len(p.Items) == 0 && len(p.Levels) == 0
}

// Plan works out what the link's products and stock flows would create,
// update, leave alone, and what conflicts or cannot be matched, writing
// nothing anywhere: not to Rackbeat, not to the channel, not to the store.
func Plan(ctx context.Context, l LinkFlows) (PlanReport, error) {
	rep := PlanReport{Link: l.Link}
	if f := l.Products; f != nil && f.Direction != DirOff && f.Direction != "" {
		rep.Direction = f.Direction
		f.mu.Lock()
		err := f.walk(ctx, func(a action) error {
			rep.Products.count(a)
			if a.kind != ActNone && a.kind != ActLeave && a.kind != ActBind {
				rep.Items = append(rep.Items, PlanItem{SKU: a.sku, Action: a.kind, Fields: a.fields, Conflict: a.conflict, Winner: a.winner, Reason: a.reason})
			}
			return nil
		}, func(context.Context) error { return nil })
		f.mu.Unlock()
		if err != nil {
			return rep, fmt.Errorf("plan products of link %s: %w", l.Link, err)
		}
	} else {
		rep.Direction = DirOff
	}
	if s := l.Stock; s != nil {
		var sr StockReport
		err := s.walk(ctx, &sr, func(rows []sdk.StockWrite) error {
			for _, r := range rows {
				sr.Rows++
				rep.Levels = append(rep.Levels, StockPlanItem{SKU: r.Level.SKU, Location: r.Level.LocationID, From: *r.Expected, To: r.Level.Quantity})
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("plan stock of link %s: %w", l.Link, err)
		}
		rep.Stock = &sr
	}
	sort.SliceStable(rep.Items, func(i, j int) bool { return rep.Items[i].SKU < rep.Items[j].SKU })
	return rep, nil
}

// count adds one decision to a report the way carrying it out would.
func (r *Report) count(a action) {
	switch a.kind {
	case ActCreateChannel:
		r.ChannelCreated++
	case ActUpdateChannel:
		r.ChannelUpdated++
	case ActCreateRackbeat:
		r.RackbeatCreated++
	case ActUpdateRackbeat:
		r.RackbeatUpdated++
	case ActUnmatched:
		r.Unmatched++
	default:
		r.Unchanged++
	}
	if a.conflict {
		r.Conflicts++
	}
}

// String is the plan as a person reads it.
func (p PlanReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan for link %s (products: %s)\n", p.Link, p.Direction)
	r := p.Products
	fmt.Fprintf(&b, "  products: %d to create in the channel, %d to update in the channel, %d to create in Rackbeat, %d to update in Rackbeat, %d unchanged, %d conflicts, %d cannot be matched\n",
		r.ChannelCreated, r.ChannelUpdated, r.RackbeatCreated, r.RackbeatUpdated, r.Unchanged, r.Conflicts, r.Unmatched)
	for _, it := range p.Items {
		line := fmt.Sprintf("    %-20s %s", it.SKU, it.Action)
		if len(it.Fields) > 0 {
			line += " (" + strings.Join(it.Fields, ", ") + ")"
		}
		if it.Conflict {
			line += " — changed on both sides, " + it.Winner + " changed last and wins"
		}
		if it.Reason != "" {
			line += ": " + it.Reason
		}
		b.WriteString(line + "\n")
	}
	if p.Stock != nil {
		fmt.Fprintf(&b, "  stock: %d levels to write, %d right already, %d not in the channel\n", p.Stock.Rows, p.Stock.Unchanged, p.Stock.NotInChannel)
		for _, l := range p.Levels {
			loc := l.Location
			if loc == "" {
				loc = "(default location)"
			}
			fmt.Fprintf(&b, "    %-20s %s: %d → %d\n", l.SKU, loc, l.From, l.To)
		}
	}
	if p.Empty() {
		b.WriteString("  nothing to do\n")
	}
	return b.String()
}
