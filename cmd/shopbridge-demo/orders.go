package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tillOnlySKU is a product the shop added at the Shopbox till after the
// initial sync and nobody created in Rackbeat: a sale of it cannot be
// imported, so it waits in quarantine with a reason, as it would in a real
// shop until someone creates the product in Rackbeat (then Retry imports
// it) or drops the sale.
const tillOnlySKU = "GIFT-BAG-1"

// Bad orders: the 5th order the demo places, then every 50th, so an
// operator sees quarantine early and now and then after, without drowning
// the orders that flow.
const (
	badFirst = 5
	badEvery = 50
)

func isBad(n int) bool { return n == badFirst || (n > badFirst && (n-badFirst)%badEvery == 0) }

// sandboxAPI calls the sandboxes' control endpoints, which play the
// customers: they place orders in the Shopify shop and sales at the Shopbox
// till.
type sandboxAPI struct {
	info   sandboxInfo
	client *http.Client
}

func (a sandboxAPI) post(ctx context.Context, url string, hdr map[string]string, body, out any) error {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s: %s", url, res.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// addTillOnlyProduct adds the till-only product to Shopbox, as a shop
// assistant would in the Shopbox back office.
func (a sandboxAPI) addTillOnlyProduct(ctx context.Context) error {
	err := a.post(ctx, a.info.Shopbox.ControlURL+"/products/create-or-update", nil, map[string]any{
		"uid": nil, "name": "Gift bag (added at the till)", "sku_code": tillOnlySKU, "selling_price": 2500,
	}, nil)
	if err != nil {
		return fmt.Errorf("add the till-only product to the Shopbox sandbox: %w", err)
	}
	return nil
}

type shopifyOrder struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// placed counts what the customers did, for the summary.
type placed struct {
	mu                 sync.Mutex
	shopify, shopbox   int
	bad                []string // Shopbox sales of the till-only product
	shopifyErr, boxErr int
}

// placeOrders plays the customers every interval until ctx ends: a Shopify
// order and a Shopbox sale each time, except that the bad ones are a
// Shopbox sale of the till-only product.
func (a sandboxAPI) placeOrders(ctx context.Context, every time.Duration, bad bool, p *placed, say func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if bad && isBad(n) {
			var sale struct {
				UID int `json:"uid"`
			}
			err := a.post(ctx, a.info.Shopbox.ControlURL+"/baskets", nil, map[string]any{
				"items": []any{map[string]any{"sku": tillOnlySKU, "quantity": 1}},
			}, &sale)
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			if err != nil {
				p.boxErr++
				say("could not ring up the sale of %s: %v", tillOnlySKU, err)
			} else {
				p.bad = append(p.bad, fmt.Sprint(sale.UID))
				say("customer order %d: Shopbox sale %d of %s, a product added at the till that Rackbeat does not have: it cannot be imported and waits in quarantine (see the status page)", n, sale.UID, tillOnlySKU)
			}
			p.mu.Unlock()
			continue
		}
		var o shopifyOrder
		errShop := a.post(ctx, a.info.Shopify.ControlURL+"/orders/random", nil, nil, &o)
		var sale struct {
			UID int `json:"uid"`
		}
		errBox := a.post(ctx, a.info.Shopbox.ControlURL+"/baskets/random", nil, nil, &sale)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		var parts []string
		if errShop == nil {
			p.shopify++
			parts = append(parts, "Shopify order "+o.Name)
		} else {
			p.shopifyErr++
		}
		if errBox == nil {
			p.shopbox++
			parts = append(parts, fmt.Sprintf("Shopbox sale %d", sale.UID))
		} else {
			p.boxErr++
		}
		p.mu.Unlock()
		if len(parts) > 0 {
			say("customer order %d: %s", n, strings.Join(parts, ", "))
		}
	}
}
