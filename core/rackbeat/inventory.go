package rackbeat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/shopspring/decimal"
)

// AdjustmentInput moves stock at one location: a positive quantity adds
// stock, a negative one removes it.
type AdjustmentInput struct {
	Location int64
	Note     string
	Lines    []AdjustmentLine
}

// AdjustmentLine is one item's change. ItemID is the item's number.
type AdjustmentLine struct {
	ItemID   string
	Quantity decimal.Decimal
	// Location overrides the adjustment's location for this line (0: the adjustment's).
	Location int64
}

// MarshalJSON writes quantities as JSON numbers.
func (in AdjustmentInput) MarshalJSON() ([]byte, error) {
	type line struct {
		ItemID     string `json:"item_id"`
		Quantity   num    `json:"quantity"`
		LocationID int64  `json:"location,omitempty"`
	}
	w := struct {
		LocationID int64  `json:"location,omitempty"`
		Note       string `json:"note,omitempty"`
		Lines      []line `json:"lines"`
	}{LocationID: in.Location, Note: in.Note, Lines: []line{}}
	for _, l := range in.Lines {
		w.Lines = append(w.Lines, line{ItemID: l.ItemID, Quantity: num(l.Quantity), LocationID: l.Location})
	}
	return json.Marshal(w)
}

// Adjustment is a recorded inventory adjustment.
type Adjustment struct {
	ID     int64 `json:"id"`
	Number int64 `json:"number"`
}

// CreateInventoryAdjustment records a stock change. Like every POST it is
// not repeated after a lost answer: a Retryable error may mean it was applied.
func (c *Client) CreateInventoryAdjustment(ctx context.Context, in AdjustmentInput) (Adjustment, error) {
	op := "adjust stock"
	if len(in.Lines) == 1 {
		op = "adjust stock of " + quote(in.Lines[0].ItemID)
	}
	if len(in.Lines) == 0 {
		return Adjustment{}, &Error{Op: op, Class: Invalid, Message: "an adjustment needs at least one line", Err: errors.New("no adjustment lines")}
	}
	var a Adjustment
	err := c.one(ctx, request{method: http.MethodPost, path: "inventory-adjustments", body: in, op: op}, "inventory_adjustment", &a)
	return a, err
}
