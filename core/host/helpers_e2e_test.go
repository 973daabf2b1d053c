package host_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// decimalOre renders øre as the decimal Rackbeat shows.
func decimalOre(ore int64) string { return decimal.New(ore, -2).String() }

// get fetches a path from the running host.
func (w *world) get(t *testing.T, path string) string {
	t.Helper()
	res, err := http.Get("http://" + w.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// shopboxIDFields finds the two Rackbeat custom fields the Shopbox guide
// fills ("Shopbox UID felt ID", "Shopbox variasjonsfelt ID").
func (w *world) shopboxIDFields(t *testing.T) (uid, variation int) {
	t.Helper()
	uid, variation, ok := w.rb.ShopboxFieldIDs()
	if !ok {
		t.Fatal("the Rackbeat sandbox has no Shopbox id fields")
	}
	return uid, variation
}

// shopboxIDs maps each Shopbox SKU to its product uid and variation uid
// (empty for a product without variations), as the fields should hold them.
func (w *world) shopboxIDs() map[string][2]string {
	ids := map[string][2]string{}
	for _, p := range w.shopbox.Products() {
		if len(p.ProductVariances) == 0 {
			ids[p.SKUCode] = [2]string{strconv.Itoa(p.UID), ""}
		}
		for _, v := range p.ProductVariances {
			ids[v.SKUCode] = [2]string{strconv.Itoa(p.UID), strconv.Itoa(v.UID)}
		}
	}
	return ids
}
