package flatfile_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/conformance"
	"github.com/shopbridge/shopbridge/sdk/examples/flatfile"
)

// TestConformance is what the connector guide asks every connector to run:
// build the binary, give the kit settings for a test channel, and let it
// check the whole contract black-box.
func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "shopbridge-connector-flatfile")
	build := exec.Command("go", "build", "-o", bin, "./cmd/shopbridge-connector-flatfile")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build the connector: %v", err)
	}

	// A channel with a few products and their stock, spanning several pages.
	dir := t.TempDir()
	var products []sdk.Product
	var stock []sdk.StockLevel
	for _, sku := range []string{"MUG-1", "MUG-2", "PLATE-1", "PLATE-2", "BOWL-1", "BOWL-2", "CUP-1"} {
		products = append(products, sdk.Product{ID: "ff-" + sku, Title: sku, Variants: []sdk.Variant{{ID: "ff-" + sku + "-0", SKU: sku, Price: sdk.MustMoney("10.00", "DKK")}}})
		stock = append(stock, sdk.StockLevel{SKU: sku, LocationID: "main", Quantity: 5})
	}
	writeJSON(t, filepath.Join(dir, "products.json"), products)
	writeJSON(t, filepath.Join(dir, "stock.json"), stock)
	writeJSON(t, filepath.Join(dir, "orders.json"), []sdk.Order{
		{ID: "1", Number: "#1", Currency: "DKK"}, {ID: "2", Number: "#2", Currency: "DKK"},
		{ID: "3", Number: "#3", Currency: "DKK"}, {ID: "4", Number: "#4", Currency: "DKK"},
	})

	const secret = "flatfile-test-secret"
	settings, _ := json.Marshal(map[string]string{"dir": dir, "secret": secret})
	conformance.Run(t, bin, settings,
		conformance.WithWebhookBody([]byte(`{"delivery":"d1","type":"order.created","id":"1"}`)),
		conformance.WithSignedWebhook(func(body []byte) http.Header {
			return http.Header{"X-Flatfile-Signature": {flatfile.Sign(secret, body)}}
		}),
	)
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
