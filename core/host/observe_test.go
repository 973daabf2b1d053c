package host

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/core/metrics"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/status"
	"github.com/shopbridge/shopbridge/sdk"
)

// TestObservedCountsEachItemJobsOutcome runs order imports through the
// wrapper every job handler has, ending each in one of the ways a flow or
// the scheduler ends an item, and reads /metrics: each item is counted
// under what became of it.
func TestObservedCountsEachItemJobsOutcome(t *testing.T) {
	ctx := context.Background()
	db, err := state.Open(ctx, state.Options{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	h := &Host{db: db, metrics: metrics.New(), log: hclog.NewNullLogger()}
	h.metrics.SetQuarantineFunc(status.FromState(db, nil, nil).QuarantineCounts) // as New does
	run := func(key string, attempt int, fn func(context.Context) error) {
		t.Helper()
		job := schedule.Job{Kind: schedule.KindOrdersImport, Link: "shop", Key: key, Attempt: attempt, MaxAttempts: 3}
		_ = h.observed(func(ctx context.Context, _ schedule.Job) error { return fn(ctx) })(ctx, job)
	}
	// The flows put items in quarantine through the store the host gives them.
	quarantine := func(ctx context.Context, key string) error {
		_, err := flowStore{db}.AddQuarantine(ctx, state.QuarantineItem{Link: "shop", Flow: schedule.KindOrdersImport, Key: key, Reason: "unknown SKU"})
		return err
	}

	run("imported", 1, func(ctx context.Context) error { countItems(ctx, 1); return nil })
	run("already-imported", 1, func(context.Context) error { return nil })
	run("unknown-sku", 1, func(ctx context.Context) error { return quarantine(ctx, "unknown-sku") })
	run("flaky", 1, func(context.Context) error { return errors.New("connection reset") })
	run("flaky", 3, func(context.Context) error { return errors.New("connection reset") }) // the last attempt
	run("negative", 1, func(context.Context) error { return schedule.Permanent(sdk.Invalid("lines", "negative quantity")) })
	run("throttled", 1, func(context.Context) error {
		return schedule.RetryAfter(2*time.Second, sdk.RateLimited(2*time.Second, "bucket empty"))
	})
	// An item quarantined long ago and skipped now is not quarantined again.
	if err := quarantine(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	run("old", 1, func(context.Context) error { return nil })

	got := scrapeText(t, h)
	for series, want := range map[string]float64{
		`shopbridge_items_synced_total{flow="orders",link="shop",outcome="ok"}`:          1,
		`shopbridge_items_synced_total{flow="orders",link="shop",outcome="skipped"}`:     2,
		`shopbridge_items_synced_total{flow="orders",link="shop",outcome="quarantined"}`: 3,
		`shopbridge_items_synced_total{flow="orders",link="shop",outcome="failed"}`:      1,
		`shopbridge_errors_total{class="error",flow="orders",link="shop"}`:               2,
		`shopbridge_errors_total{class="invalid",flow="orders",link="shop"}`:             1,
		`shopbridge_errors_total{class="rate_limited",flow="orders",link="shop"}`:        1,
		`shopbridge_job_duration_seconds_count{kind="orders.import"}`:                    8,
		`shopbridge_quarantine_items{link="shop"}`:                                       2,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
}

func scrapeText(t *testing.T, h *Host) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}
