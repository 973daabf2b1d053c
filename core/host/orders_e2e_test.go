package host_test

import (
	"context"
	"strings"
	"testing"
	"time"

	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	sbsandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// TestShopifyOrderSettings places one paid Shopify order, delivered by
// webhook, and checks each order setting of the Swedish Shopify guide on
// what lands in Rackbeat. Links share the shop and differ in one setting.
func TestShopifyOrderSettings(t *testing.T) {
	w := newWorld(t, 20)
	states := []string{"draft", "booked", "ready_to_ship", "shipped", "invoiced"}
	var links []string
	for _, st := range states {
		links = append(links, w.shopifyLink("state-"+st, orders("state", st), "", ""))
	}
	links = append(links,
		w.shopifyLink("numbering-channel", orders("numbering", "channel"), "", ""),
		w.shopifyLink("mail", orders("send_confirmation", "true"), "", ""),
		w.shopifyLink("created", orders("trigger", "created", "vat_zone", "eu", "currency", "EUR", "language", "sv", "payment_terms", "1", "employee", "1", "customer_group", "2"), "", ""),
	)
	w.start(links...)

	id, err := w.shopify.PlaceOrder(spsandbox.OrderInput{
		Email: "kund@example.se", FirstName: "Karin", LastName: "Kund", FinancialStatus: "paid",
		Lines:    []spsandbox.OrderLine{{SKU: w.sku(0), Quantity: 2, Discount: "10.00"}, {SKU: w.sku(1), Quantity: 1}},
		Shipping: &spsandbox.ShippingInput{Title: "PostNord", Price: "49.00"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second, unpaid order: only the link triggered on "created" takes it.
	unpaid, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "ny@example.se", Lines: []spsandbox.OrderLine{{SKU: w.sku(2), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	order := func(t *testing.T, link, channelID string) rbsandbox.Order {
		t.Helper()
		var got []rbsandbox.Order
		w.eventually("order "+channelID+" on link "+link, 60*time.Second, func() bool {
			got = w.ordersWithReference("shopbridge:" + link + ":" + channelID)
			return len(got) > 0
		})
		if len(got) != 1 {
			t.Fatalf("link %s: order %s is in Rackbeat %d times", link, channelID, len(got))
		}
		return got[0]
	}

	t.Run("StatusForOrder", func(t *testing.T) { // "Status för order"
		for _, st := range states {
			order(t, "state-"+st, id)
			var o rbsandbox.Order
			// The order is created as a draft and moved on step by step.
			w.eventually("order in state "+st, 30*time.Second, func() bool {
				o = w.ordersWithReference("shopbridge:state-" + st + ":" + id)[0]
				return map[string]bool{
					"draft":         o.IsDraft && !o.IsBooked,
					"booked":        o.IsBooked && !o.IsReadyForShipping && !o.IsShipped,
					"ready_to_ship": o.IsReadyForShipping && !o.IsShipped,
					"shipped":       o.IsShipped && !o.IsInvoiced,
					"invoiced":      o.IsInvoiced,
				}[st]
			})
		}
		// A draft stays a draft: give it time to move wrongly, then look again.
		time.Sleep(300 * time.Millisecond)
		if o := w.ordersWithReference("shopbridge:state-draft:" + id)[0]; o.IsBooked {
			t.Errorf("state draft: the order was booked")
		}
	})
	t.Run("Ordernummer", func(t *testing.T) { // "Ordernummer": Shopify's number or Rackbeat's
		sum := w.shopify.Orders()[0]
		o := order(t, "numbering-channel", id)
		if "#"+itoa(o.Number) != sum.Name {
			t.Errorf("numbering channel: Rackbeat %d, Shopify %s", o.Number, sum.Name)
		}
	})
	base := order(t, "state-ready_to_ship", id)
	t.Run("Betalningsvillkor", func(t *testing.T) {
		if base.PaymentTermsID != 3 || order(t, "created", id).PaymentTermsID != 1 {
			t.Errorf("payment terms: %d / %d", base.PaymentTermsID, order(t, "created", id).PaymentTermsID)
		}
	})
	t.Run("Sprak", func(t *testing.T) {
		if base.Locale != "en" || order(t, "created", id).Locale != "sv" {
			t.Errorf("language: %q / %q", base.Locale, order(t, "created", id).Locale)
		}
	})
	t.Run("StandardAnstalld", func(t *testing.T) {
		if base.EmployeeID != 2 || order(t, "created", id).EmployeeID != 1 {
			t.Errorf("employee: %d / %d", base.EmployeeID, order(t, "created", id).EmployeeID)
		}
	})
	t.Run("Kundgrupp_MomsZon_Valuta", func(t *testing.T) { // a new customer gets the link's group, VAT zone and currency; customers match on e-mail
		order(t, "created", unpaid)
		count := map[string]int{}
		for _, c := range w.rb.Customers() {
			count[c.ContactEmail]++
			if c.ContactEmail == "ny@example.se" && (c.CustomerGroupID != 2 || c.VATZone != "eu" || c.Currency != "EUR") {
				t.Errorf("new customer: group %d, zone %s, currency %s; want 2, eu, EUR", c.CustomerGroupID, c.VATZone, c.Currency)
			}
		}
		if count["kund@example.se"] != 1 || count["ny@example.se"] != 1 {
			t.Errorf("customers by e-mail: %v; each must exist once", count)
		}
	})
	t.Run("Fraktprodukt", func(t *testing.T) {
		var shipping bool
		for _, l := range base.Lines {
			if l.ItemID == "frakt" && l.LinePrice.String() == "39.2" {
				shipping = true
			}
		}
		if !shipping || len(base.Lines) != 3 {
			t.Errorf("want the 49.00 incl. VAT shipping as a 39.20 line on frakt, got %+v", base.Lines)
		}
	})
	t.Run("InstallningarForEpost", func(t *testing.T) {
		mails := map[int]bool{}
		for _, m := range w.rb.Mails() {
			mails[m.Order] = true
		}
		if !mails[order(t, "mail", id).Number] {
			t.Error("send_confirmation on: no mail for its order")
		}
		if mails[base.Number] {
			t.Error("send_confirmation off: a mail was sent")
		}
	})
	t.Run("StatusPageAndMetrics", func(t *testing.T) {
		page := w.get(t, "/")
		for _, want := range []string{"state-ready_to_ship", "shopify", "on paid → ready to ship"} {
			if !strings.Contains(page, want) {
				t.Errorf("status page lacks %q", want)
			}
		}
		if strings.Contains(page, shopifyToken) || strings.Contains(page, rbToken) {
			t.Error("a secret reached the status page")
		}
		m := w.get(t, "/metrics")
		if !strings.Contains(m, `shopbridge_items_synced_total{flow="orders",link="state-ready_to_ship",outcome="ok"} 1`) {
			t.Errorf("metrics lack the imported order:\n%s", grepLines(m, "shopbridge_items_synced_total"))
		}
	})
	t.Run("TriggerPaidOrCreated", func(t *testing.T) {
		order(t, "created", unpaid)
		time.Sleep(500 * time.Millisecond) // let any wrong import land before looking
		if got := w.ordersWithReference("shopbridge:state-booked:" + unpaid); len(got) != 0 {
			t.Errorf("an unpaid order was imported on a link triggered by payment")
		}
	})
}

// TestShopboxOrderSettings checks the Norwegian Shopbox guide's order
// settings: "Tilføy moms", and the troubleshooting tool "Manuell sync av
// ordre" that must not duplicate.
func TestShopboxOrderSettings(t *testing.T) {
	w := newWorld(t, 20)
	w.start(
		w.shopboxLink("pos-vat", orders("currency", "NOK", "add_vat", "true"), "", ""),
		w.shopboxLink("pos-novat", orders("currency", "NOK", "add_vat", "false"), "", ""),
	)
	b, err := w.shopbox.PlaceSale(sbsandbox.Sale{Items: []sbsandbox.SaleItem{{SKU: w.sku(0), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(b.UID)
	var vat, novat []rbsandbox.Order
	w.eventually("the sale in Rackbeat on both links", 60*time.Second, func() bool {
		vat, novat = w.ordersWithReference("shopbridge:pos-vat:"+id), w.ordersWithReference("shopbridge:pos-novat:"+id)
		return len(vat) == 1 && len(novat) == 1
	})
	t.Run("TilfoyMoms", func(t *testing.T) {
		gross := b.BasketItems[0].SellingPrice // øre incl. VAT
		if got := vat[0].Lines[0].LinePrice.String(); got != decimalOre(gross*100/125) {
			t.Errorf("add_vat on: line %s, want the net price %s", got, decimalOre(gross*100/125))
		}
		if got := novat[0].Lines[0].LinePrice.String(); got != decimalOre(gross) || novat[0].VATZone == "domestic" {
			t.Errorf("add_vat off: line %s in zone %s, want %s without VAT", got, novat[0].VATZone, decimalOre(gross))
		}
	})
	t.Run("ManuellSyncAvOrdre", func(t *testing.T) {
		ctx := context.Background()
		res, err := w.host.ImportOrder(ctx, "pos-vat", id, false)
		if err != nil || res.Outcome != "already_imported" || res.RackbeatNumber != int64(vat[0].Number) {
			t.Fatalf("manual sync of an imported sale: %+v %v", res, err)
		}
		if n := len(w.ordersWithReference("shopbridge:pos-vat:" + id)); n != 1 {
			t.Fatalf("manual sync duplicated the order: %d copies", n)
		}
		res, err = w.host.ImportOrder(ctx, "pos-vat", id, true)
		if err != nil || res.Outcome != "imported" || res.RackbeatNumber == int64(vat[0].Number) {
			t.Fatalf("forced manual sync: %+v %v", res, err)
		}
	})
}
