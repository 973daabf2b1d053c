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
