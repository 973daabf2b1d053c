package shopify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/conformance"
)

var binary string

// TestMain builds the connector binary once for the conformance kit.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shopify-connector")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "shopbridge-connector-shopify")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/shopbridge-connector-shopify")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		binary = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	if binary == "" {
		t.Fatal("the connector binary did not build")
	}
	sb := sandbox.New(sandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: 30, Locations: 2, Seed: 3}),
		AccessTokens: []string{testToken},
		Plan:         "plus",
		Seed:         3,
	})
	srv := httptest.NewServer(sb)
	defer func() { srv.Close(); sb.Close() }()
	settings, _ := json.Marshal(map[string]any{"shop": sb.Shop(), "access_token": testToken, "client_secret": testSecret, "client_id": "sandbox-client-id", "base_url": srv.URL})
	body := []byte(`{"id": 7001, "admin_graphql_api_id": "gid://shopify/Order/7001"}`)
	conformance.Run(t, binary, settings,
		conformance.WithWebhookBody(body),
		conformance.WithSignedWebhook(func(b []byte) http.Header {
			h := http.Header{}
			h.Set("X-Shopify-Topic", "orders/create")
			h.Set("X-Shopify-Webhook-Id", "conformance-1")
			h.Set("X-Shopify-Hmac-Sha256", sandbox.Sign(testSecret, b))
			return h
		}),
		conformance.WithProduct(func(sku string) sdk.Product {
			return sdk.Product{Title: "Conformance " + sku, Status: "active",
				Variants: []sdk.Variant{{SKU: sku, Price: sdk.MustMoney("10.00", "SEK")}}}
		}),
	)
}
