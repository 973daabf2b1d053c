package shopbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopbox"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk/conformance"
)

// binary is the connector built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shopbox-connector-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "shopbridge-connector-shopbox_v"+shopbox.Version)
	build := exec.Command("go", "build", "-o", binary, "./cmd/shopbridge-connector-shopbox")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the connector binary:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestConformance(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	for i := range 7 {
		if _, err := e.sb.PlaceSale(sandbox.Sale{Items: []sandbox.SaleItem{{SKU: unitSKU(e.sb, i), Quantity: 1 + i%2}}, Shipping: int64(i%2) * 4900}); err != nil {
			t.Fatal(err)
		}
	}
	sale := e.sb.Baskets()[0]
	body, err := json.Marshal(sale)
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	sign := func(b []byte) http.Header {
		seq++
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopbox-Event", shopbox.TopicBasketCreated)
		h.Set("X-Shopbox-Delivery", "dlv_conformance_"+strconv.Itoa(seq))
		h.Set("X-Shopbox-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
		h.Set("X-Shopbox-Signature", sandbox.Sign(e.sb.PushSecret(), b))
		return h
	}
	settings := e.settings(map[string]any{"page_size": 100})
	conformance.Run(t, binary, settings,
		conformance.WithSignedWebhook(sign),
		conformance.WithWebhookBody(body),
		conformance.WithCallbackURL("https://shopbridge.example/hooks/shopbox"),
	)
}
