package shopbox

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// ReadOrders reads sales (baskets): by uid (the seed's manual "sync order by
// Shopbox order id"), or by a time-window cursor. A run reads the sales
// created in [from, to], with to fixed to the server's time when the run
// starts, then the older sales changed since from (cancellations). The next
// run starts overlapSeconds before this run's to; what the overlap brings
// back a second time is dropped.
func (l *Link) ReadOrders(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	if len(req.IDs) > 0 {
		return l.readOrdersByID(ctx, req, emit)
	}
	var cur orderCursor
	if err := decodeCursor("o", req.Cursor, &cur); err != nil {
		return err
	}
	per := l.pageSize(req.PageSize)
	if cur.To == 0 {
		cur = orderCursor{From: cur.From, Seen: cur.Seen, Page: 1, Next: seenSet{}}
	}
	if cur.Next == nil {
		cur.Next = seenSet{}
	}
	if cur.Page < 1 {
		cur.Page = 1
	}
	waits := 0
	for {
		q := api.BasketQuery{}
		if cur.To == 0 {
			// The first request of a run fixes its upper bound from the
			// server's clock, never the local one.
			probe, err := l.c.Baskets(ctx, api.BasketQuery{From: &cur.From}, 1, 1)
			if err != nil {
				return err
			}
			cur.To = probe.ServerTime.Unix()
		}
		if cur.Phase == 0 {
			q.From, q.To = &cur.From, &cur.To
		} else {
			q.UpdatedSince = &cur.From
		}
		p, err := l.c.Baskets(ctx, q, cur.Page, per)
		if err != nil {
			return err
		}
		nextFrom := cur.To - overlapSeconds
		readAt := p.ServerTime.Unix()
		if waits < maxSameSecondWaits && stampedAt(readAt, p.Items, func(b api.Basket) int64 { return b.UpdatedTime }) {
			waits++ // as in ReadProducts: let the second of the stamps pass
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			continue
		}
		orders := make([]sdk.Order, 0, len(p.Items))
		for _, b := range p.Items {
			if b.UID <= cur.After {
				continue
			}
			cur.After = b.UID
			if cur.Phase == 1 && (b.CreationTime >= cur.From || b.UpdatedTime > cur.To) {
				continue // in the window of phase 0, or for the next run
			}
			if stamp, ok := cur.Seen[b.UID]; ok && stamp == b.UpdatedTime {
				continue
			}
			// The next run sees a sale again when it changed since nextFrom
			// (a sale changes no earlier than it is created).
			cur.Next.remember(b.UID, b.UpdatedTime, readAt, nextFrom)
			orders = append(orders, l.toOrder(b))
		}
		page := sdk.OrderPage{Items: orders, TotalEstimate: int64(p.Pagination.Total)}
		more := p.Pagination.More() && len(p.Items) > 0
		switch {
		case more:
			cur.Page++
		case cur.Phase == 0 && cur.From > 0:
			cur.Phase, cur.Page, cur.After = 1, 1, 0
		default:
			page.Last = true
			page.Cursor = encodeCursor("o", orderCursor{From: max(nextFrom, 0), Seen: cur.Next})
			return emit(page)
		}
		page.Cursor = encodeCursor("o", cur)
		if len(page.Items) == 0 && !more {
			continue // nothing to hand out between the phases
		}
		if err := emit(page); err != nil {
			return err
		}
	}
}

func (l *Link) readOrdersByID(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	orders := make([]sdk.Order, 0, len(req.IDs))
	for _, id := range req.IDs {
		uid, err := strconv.Atoi(strings.TrimSpace(id))
		if err != nil || uid <= 0 {
			return sdk.Invalid("ids", "%q is not a Shopbox order (basket) uid", id)
		}
		b, err := l.c.Basket(ctx, uid)
		if err != nil {
			if sdk.ClassOf(err) == sdk.ClassNotFound {
				return sdk.NotFound("Shopbox order %d does not exist in shop %d; check the order id", uid, l.c.ClientID())
			}
			return err
		}
		orders = append(orders, l.toOrder(b))
	}
	return emit(sdk.OrderPage{Items: orders, Cursor: req.Cursor, Last: true})
}

// toOrder maps a sale. Prices are øre including VAT; a POS sale is paid and
// handed over at the till, so it is paid and fulfilled. LocationID is the
// cash register; the branch is in Attributes["branch"].
func (l *Link) toOrder(b api.Basket) sdk.Order {
	cur := l.s.Currency
	money := func(ore int64) sdk.Money { return OreToMoney(ore, cur) }
	rate := l.s.VATRate.String()
	vatLines := func(ore int64) []sdk.TaxLine {
		return []sdk.TaxLine{{Title: "VAT", Rate: rate, Amount: money(vatShare(ore, l.s.VATRate))}}
	}
	created := time.Unix(b.CreationTime, 0).UTC()
	o := sdk.Order{
		ID: strconv.Itoa(b.UID), Number: strconv.Itoa(b.UID),
		CreatedAt: created, UpdatedAt: time.Unix(b.UpdatedTime, 0).UTC(),
		Currency: cur, TaxesIncluded: true,
		FinancialState: sdk.FinancialPaid, FulfillmentState: sdk.FulfillmentFulfilled,
		LocationID:   strconv.Itoa(b.CashRegister),
		ChannelState: "completed",
		Attributes: map[string]string{
			"branch": strconv.Itoa(b.Branch), "cash_register": strconv.Itoa(b.CashRegister), "staff": strconv.Itoa(b.Staff),
		},
	}
	if b.ExternalID != nil && *b.ExternalID != "" {
		o.Attributes["external_id"] = *b.ExternalID
	}
	if b.Canceled {
		o.CancelledAt = o.UpdatedAt
		o.ChannelState = "canceled"
	}
	var total, discount, tax int64
	for i, it := range b.BasketItems {
		gross := it.Quantity * it.SellingPrice
		net := gross - int64(it.Discount)
		total += net
		discount += int64(it.Discount)
		tax += vatShare(net, l.s.VATRate)
		name := ""
		if it.Name != nil {
			name = *it.Name
		}
		if it.Product == nil {
			if name == "" {
				name = "Shipping"
			}
			o.ShippingLines = append(o.ShippingLines, sdk.ShippingLine{
				Title: name, Price: money(gross), Discount: money(int64(it.Discount)), TaxLines: vatLines(net),
			})
			continue
		}
		line := sdk.OrderLine{
			ID: fmt.Sprintf("%d-%d", b.UID, i+1), ProductID: strconv.Itoa(*it.Product),
			VariantID: strconv.Itoa(*it.Product), Title: name, Quantity: it.Quantity,
			UnitPrice: money(it.SellingPrice), TotalDiscount: money(int64(it.Discount)), TaxLines: vatLines(net),
		}
		if it.ProductVariance != nil && *it.ProductVariance != 0 {
			line.VariantID = strconv.Itoa(*it.ProductVariance)
		}
		if it.SKUCode != nil {
			line.SKU = *it.SKUCode
		}
		if p := it.Product0; p != nil {
			if line.Title == "" {
				line.Title = p.Name
			}
			if line.SKU == "" {
				line.SKU = p.SKUCode
				for _, v := range p.ProductVariances {
					if it.ProductVariance != nil && v.UID == *it.ProductVariance {
						line.SKU = v.SKUCode
					}
				}
			}
		}
		o.Lines = append(o.Lines, line)
	}
	if b.Total != 0 || total == 0 {
		total = b.Total
	}
	o.Total = money(total)
	o.TotalDiscount = money(discount)
	o.TotalTax = money(tax)
	o.TaxLines = []sdk.TaxLine{{Title: "VAT", Rate: rate, Amount: money(tax)}}
	return o
}
