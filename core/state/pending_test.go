package state_test

import (
	"context"
	"testing"

	"github.com/shopbridge/shopbridge/core/state/statetest"
)

func TestPendingStockKeepsAChangeThatArrivesDuringAPush(t *testing.T) {
	for _, b := range statetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := statetest.Open(t, b)
			ctx := context.Background()
			for _, sku := range []string{"A", "B", "A"} {
				if err := db.NoteStockChange(ctx, "l", sku); err != nil {
					t.Fatal(err)
				}
			}
			got, err := db.PendingStock(ctx, "l", 10)
			if err != nil || len(got) != 2 || got[0].SKU != "A" || got[0].Version != 2 {
				t.Fatalf("pending: %+v %v", got, err)
			}
			// B changes again while the push of A and B runs.
			if err := db.NoteStockChange(ctx, "l", "B"); err != nil {
				t.Fatal(err)
			}
			if err := db.ClearPendingStock(ctx, "l", got); err != nil {
				t.Fatal(err)
			}
			left, _ := db.PendingStock(ctx, "l", 10)
			if len(left) != 1 || left[0].SKU != "B" {
				t.Fatalf("want B still pending, got %+v", left)
			}
		})
	}
}
