package state_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// forEach runs fn against every configured backend.
func forEach(t *testing.T, fn func(t *testing.T, b statetest.Backend, db *state.DB)) {
	t.Helper()
	for _, b := range statetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, b, statetest.Open(t, b))
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsAreIdempotentOnReopen(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		must(t, db.SetCursor(ctx, "l1", "orders", "c1"))
		db.Close()
		for range 2 {
			db2, err := state.Open(ctx, b.Options)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			v, ok, err := db2.Cursor(ctx, "l1", "orders")
			must(t, err)
			if !ok || v != "c1" {
				t.Fatalf("cursor after reopen = %q,%v; want c1", v, ok)
			}
			var n int
			must(t, db2.InTx(ctx, func(tx *state.Tx) error {
				return countRows(tx, "SELECT COUNT(*) FROM schema_migrations", &n)
			}))
			files, _ := filepath.Glob("migrations/*.sql")
			if n != len(files) {
				t.Fatalf("schema_migrations has %d rows, want %d (one per file)", n, len(files))
			}
			db2.Close()
		}
	})
}

func TestConcurrentOpenAppliesMigrationsOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		db.Close()
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				d, err := state.Open(context.Background(), b.Options)
				if err == nil {
					d.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent open: %v", err)
			}
		}
	})
}

// countRows reads one integer through the driver's own transaction, the way
// an operator inspecting the database would.
func countRows(tx *state.Tx, q string, n *int) error {
	if tx.SQLTx() != nil {
		return tx.SQLTx().QueryRowContext(tx.Context(), q).Scan(n)
	}
	return tx.PgxTx().QueryRow(tx.Context(), q).Scan(n)
}

func TestClaimOrderHasExactlyOneWinner(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		// A second handle stands for a second host (or the CLI): the
		// claimers race through separate connections, not one queue.
		dbs := []*state.DB{db, statetest.Open(t, b)}
		const orders, claimers = 20, 4
		wins := make([]int, orders)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for c := range claimers {
			wg.Go(func() {
				for o := range orders {
					_, claimed, err := dbs[c%2].ClaimOrder(ctx, "shop", fmt.Sprintf("order-%d", (o+c)%orders))
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if claimed {
						mu.Lock()
						wins[(o+c)%orders]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		for o, w := range wins {
			if w != 1 {
				t.Errorf("order-%d was claimed %d times, want exactly 1", o, w)
			}
		}
	})
}

func TestCrashBetweenCreateAndRecordLeavesPendingBinding(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		_, claimed, err := db.ClaimOrder(ctx, "shop", "1001")
		must(t, err)
		if !claimed {
			t.Fatal("first claim was not claimed")
		}
		// The Rackbeat order is created here, then the host dies before
		// CompleteOrder.
		db.Close()
		db = statetest.Open(t, b)

		pending, err := db.ListPendingOrders(ctx, "shop")
		must(t, err)
		if len(pending) != 1 || pending[0].ChannelOrderID != "1001" || pending[0].State != state.OrderPending {
			t.Fatalf("pending after crash = %+v; want order 1001 pending", pending)
		}
		got, claimed, err := db.ClaimOrder(ctx, "shop", "1001")
		must(t, err)
		if claimed || got.State != state.OrderPending {
			t.Fatalf("retry claim = %+v claimed=%v; want the pending binding, not a new claim", got, claimed)
		}
		must(t, db.CompleteOrder(ctx, "shop", "1001", 5001))
		got, claimed, err = db.ClaimOrder(ctx, "shop", "1001")
		must(t, err)
		if claimed || got.State != state.OrderCreated || got.RackbeatNumber != 5001 {
			t.Fatalf("claim after completion = %+v claimed=%v; want created as 5001", got, claimed)
		}
		pending, err = db.ListPendingOrders(ctx, "shop")
		must(t, err)
		if len(pending) != 0 {
			t.Fatalf("pending after completion = %+v; want none", pending)
		}
	})
}

func TestFailedOrderCanBeClaimedAgainButCreatedCannotFail(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		_, _, err := db.ClaimOrder(ctx, "shop", "7")
		must(t, err)
		must(t, db.FailOrder(ctx, "shop", "7", "unknown SKU X-1"))
		got, ok, err := db.OrderBinding(ctx, "shop", "7")
		must(t, err)
		if !ok || got.State != state.OrderFailed || got.LastError != "unknown SKU X-1" {
			t.Fatalf("binding = %+v; want failed with the reason", got)
		}
		_, claimed, err := db.ClaimOrder(ctx, "shop", "7")
		must(t, err)
		if !claimed {
			t.Fatal("a failed order could not be claimed again")
		}
		must(t, db.CompleteOrder(ctx, "shop", "7", 42))
		if err := db.FailOrder(ctx, "shop", "7", "late failure"); err == nil || !strings.Contains(err.Error(), "already imported as Rackbeat order 42") {
			t.Fatalf("FailOrder on a created order = %v; want a refusal naming order 42", err)
		}
		if err := db.CompleteOrder(ctx, "shop", "never-claimed", 1); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("CompleteOrder without claim = %v; want ErrNotFound", err)
		}
	})
}

func TestForcedImportKeepsBindingUnique(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		_, _, err := db.ClaimOrder(ctx, "shop", "9")
		must(t, err)
		must(t, db.CompleteOrder(ctx, "shop", "9", 100))

		f, claimed, err := db.ClaimForcedImport(ctx, "shop", "9", "force-1")
		must(t, err)
		if !claimed || f.ImportID != "force-1" || f.State != state.OrderPending {
			t.Fatalf("forced claim = %+v claimed=%v", f, claimed)
		}
		_, claimed, err = db.ClaimForcedImport(ctx, "shop", "9", "force-1")
		must(t, err)
		if claimed {
			t.Fatal("the same forced import was claimed twice: a retry would create a second duplicate")
		}
		must(t, db.CompleteForcedImport(ctx, "force-1", 101))
		primary, _, err := db.OrderBinding(ctx, "shop", "9")
		must(t, err)
		if !primary.Forced || primary.RackbeatNumber != 100 || primary.State != state.OrderCreated {
			t.Fatalf("primary binding = %+v; want created as 100 and marked forced", primary)
		}
		list, err := db.ForcedImports(ctx, "shop", "9")
		must(t, err)
		if len(list) != 1 || list[0].RackbeatNumber != 101 || list[0].State != state.OrderCreated {
			t.Fatalf("forced imports = %+v", list)
		}
		if _, _, err := db.ClaimForcedImport(ctx, "shop", "10", "force-1"); err == nil {
			t.Fatal("an import id was reused for another order")
		}
	})
}

func TestInitialSyncIsRecordedOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		_, ok, err := db.InitialSync(ctx, "shop")
		must(t, err)
		if ok {
			t.Fatal("initial sync recorded before it ran")
		}
		must(t, db.RecordInitialSync(ctx, "shop", "started"))
		must(t, db.SetInitialSyncResult(ctx, "shop", "ok: 10 products"))
		err = db.RecordInitialSync(ctx, "shop", "started")
		var ran state.ErrInitialSyncRan
		if !errors.As(err, &ran) {
			t.Fatalf("second RecordInitialSync = %v; want ErrInitialSyncRan", err)
		}
		if time.Since(ran.At) > time.Minute || ran.At.IsZero() {
			t.Fatalf("ErrInitialSyncRan.At = %v; want when it ran", ran.At)
		}
		if !strings.Contains(err.Error(), "already ran") {
			t.Fatalf("message %q does not say it already ran", err)
		}
		rec, ok, err := db.InitialSync(ctx, "shop")
		must(t, err)
		if !ok || rec.Result != "ok: 10 products" || rec.Forced {
			t.Fatalf("record = %+v", rec)
		}
		must(t, db.ForceInitialSync(ctx, "shop", "forced"))
		rec, _, err = db.InitialSync(ctx, "shop")
		must(t, err)
		if !rec.Forced || rec.Result != "forced" {
			t.Fatalf("after force = %+v", rec)
		}
	})
}

func TestDeliveryIsSeenOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		first, err := db.MarkDeliverySeen(ctx, "shopify", "d-1")
		must(t, err)
		again, err := db.MarkDeliverySeen(ctx, "shopify", "d-1")
		must(t, err)
		other, err := db.MarkDeliverySeen(ctx, "rackbeat", "d-1")
		must(t, err)
		if !first || again || !other {
			t.Fatalf("first=%v again=%v otherSource=%v; want true,false,true", first, again, other)
		}
		n, err := db.PruneDeliveries(ctx, time.Hour)
		must(t, err)
		if n != 0 {
			t.Fatalf("pruned %d fresh deliveries", n)
		}
		n, err = db.PruneDeliveries(ctx, -time.Second)
		must(t, err)
		if n != 2 {
			t.Fatalf("pruned %d, want 2", n)
		}
		first, err = db.MarkDeliverySeen(ctx, "shopify", "d-1")
		must(t, err)
		if !first {
			t.Fatal("a pruned delivery id still counted as seen")
		}
	})
}

func TestSecretsAreEncryptedAtRest(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		const plaintext = "shpat_0123456789abcdefSECRET"
		exp := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
		must(t, db.PutSecret(ctx, "shop", "access_token", plaintext, exp))
		s, ok, err := db.GetSecret(ctx, "shop", "access_token")
		must(t, err)
		if !ok || s.Value != plaintext || !s.ExpiresAt.Equal(exp) {
			t.Fatalf("secret = %+v", s)
		}
		var raw, nonce []byte
		must(t, db.InTx(ctx, func(tx *state.Tx) error {
			q := "SELECT ciphertext, nonce FROM secrets WHERE link = 'shop'"
			if tx.SQLTx() != nil {
				return tx.SQLTx().QueryRowContext(ctx, q).Scan(&raw, &nonce)
			}
			return tx.PgxTx().QueryRow(ctx, q).Scan(&raw, &nonce)
		}))
		if bytes.Contains(raw, []byte(plaintext)) || bytes.Contains(raw, []byte("SECRET")) || len(nonce) == 0 {
			t.Fatal("the secrets table holds the plaintext")
		}
		if b.Options.Driver == state.DriverSQLite {
			db.Close()
			for _, f := range []string{b.Options.Path, b.Options.Path + "-wal"} {
				content, err := os.ReadFile(f)
				if err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
				if bytes.Contains(content, []byte(plaintext)) {
					t.Fatalf("%s holds the plaintext secret", filepath.Base(f))
				}
			}
		}
		other := b.Options
		other.SecretKey = bytes.Repeat([]byte{7}, 32)
		db2, err := state.Open(ctx, other)
		must(t, err)
		defer db2.Close()
		if _, _, err := db2.GetSecret(ctx, "shop", "access_token"); err == nil || strings.Contains(err.Error(), plaintext) {
			t.Fatalf("reading with the wrong key = %v; want a failure that does not show the secret", err)
		}
	})
}

func TestSecretKeyMissingIsAClearError(t *testing.T) {
	t.Setenv(state.SecretKeyEnv, "")
	db, err := state.Open(context.Background(), state.Options{Path: filepath.Join(t.TempDir(), "s.db")})
	must(t, err)
	defer db.Close()
	err = db.PutSecret(context.Background(), "l", "n", "v", time.Time{})
	if err == nil || !strings.Contains(err.Error(), state.SecretKeyEnv) {
		t.Fatalf("PutSecret without key = %v; want an error naming %s", err, state.SecretKeyEnv)
	}
	t.Setenv(state.SecretKeyEnv, strings.Repeat("ab", 32))
	db2, err := state.Open(context.Background(), state.Options{Path: filepath.Join(t.TempDir(), "s2.db")})
	must(t, err)
	defer db2.Close()
	must(t, db2.PutSecret(context.Background(), "l", "n", "v", time.Time{}))
}

func TestProductBindings(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		for i := range 25 {
			must(t, db.UpsertProductBinding(ctx, state.ProductBinding{
				Link: "shop", SKU: fmt.Sprintf("SKU-%02d", i), ChannelProductID: "p", ChannelVariantID: fmt.Sprintf("v%d", i),
				RackbeatNumber: fmt.Sprintf("SKU-%02d", i), InventoryHash: "ih", ChannelHash: "ch",
			}))
		}
		must(t, db.UpsertProductBinding(ctx, state.ProductBinding{Link: "other", SKU: "SKU-00"}))
		must(t, db.UpsertProductBinding(ctx, state.ProductBinding{Link: "shop", SKU: "SKU-03", ChannelVariantID: "v3", ChannelHash: "new"}))

		got, ok, err := db.ProductBinding(ctx, "shop", "SKU-03")
		must(t, err)
		if !ok || got.ChannelHash != "new" || got.InventoryHash != "" || got.UpdatedAt.IsZero() {
			t.Fatalf("after upsert = %+v", got)
		}
		byVar, ok, err := db.ProductBindingByVariant(ctx, "shop", "v7")
		must(t, err)
		if !ok || byVar.SKU != "SKU-07" {
			t.Fatalf("by variant = %+v,%v", byVar, ok)
		}
		var all []string
		after := ""
		for {
			page, err := db.ProductBindings(ctx, "shop", after, 10)
			must(t, err)
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				all = append(all, p.SKU)
			}
			after = page[len(page)-1].SKU
		}
		if len(all) != 25 || all[0] != "SKU-00" || all[24] != "SKU-24" {
			t.Fatalf("paged %d bindings: %v", len(all), all)
		}
		must(t, db.DeleteProductBinding(ctx, "shop", "SKU-00"))
		if _, ok, _ := db.ProductBinding(ctx, "shop", "SKU-00"); ok {
			t.Fatal("deleted binding still there")
		}
		if _, ok, _ := db.ProductBinding(ctx, "other", "SKU-00"); !ok {
			t.Fatal("deleting one link's binding removed another link's")
		}
	})
}

func TestCursorAndRecordsCommitTogether(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		must(t, db.SetCursor(ctx, "shop", "products", "page-1"))
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *state.Tx) error {
			if err := tx.UpsertProductBinding(state.ProductBinding{Link: "shop", SKU: "A"}); err != nil {
				return err
			}
			if err := tx.SetCursor("shop", "products", "page-2"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v; want the function's error", err)
		}
		v, _, err := db.Cursor(ctx, "shop", "products")
		must(t, err)
		if _, ok, _ := db.ProductBinding(ctx, "shop", "A"); ok || v != "page-1" {
			t.Fatalf("a failed page left cursor %q and binding %v behind", v, ok)
		}
		if _, ok, err := db.Cursor(ctx, "shop", "orders"); ok || err != nil {
			t.Fatalf("unknown cursor: ok=%v err=%v", ok, err)
		}
	})
}

func TestQuarantine(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		id, err := db.AddQuarantine(ctx, state.QuarantineItem{Link: "shop", Flow: "orders.import", Key: "1001",
			Reason: "unknown SKU X-9: create it in Rackbeat", Payload: []byte(`{"id":"1001"}`), LastError: "not found"})
		must(t, err)
		id2, err := db.AddQuarantine(ctx, state.QuarantineItem{Link: "shop", Flow: "orders.import", Key: "1001",
			Reason: "unknown SKU X-9: create it in Rackbeat", Payload: []byte(`{"id":"1001"}`), LastError: "still not found"})
		must(t, err)
		if id2 != id {
			t.Fatalf("same item quarantined twice got ids %d and %d", id, id2)
		}
		_, err = db.AddQuarantine(ctx, state.QuarantineItem{Link: "pos", Flow: "stock.push", Key: "SKU-1", Reason: "bad location"})
		must(t, err)
		it, ok, err := db.QuarantineItem(ctx, id)
		must(t, err)
		if !ok || it.Attempts != 2 || it.LastError != "still not found" || string(it.Payload) != `{"id":"1001"}` {
			t.Fatalf("item = %+v", it)
		}
		list, err := db.ListQuarantine(ctx, state.QuarantineFilter{Link: "shop"})
		must(t, err)
		if len(list) != 1 || list[0].ID != id {
			t.Fatalf("list for shop = %+v", list)
		}
		all, err := db.ListQuarantine(ctx, state.QuarantineFilter{})
		must(t, err)
		if len(all) != 2 {
			t.Fatalf("list all = %d items", len(all))
		}
		counts, err := db.QuarantineCounts(ctx)
		must(t, err)
		if len(counts) != 2 || counts["shop"] != 1 || counts["pos"] != 1 {
			t.Fatalf("counts = %v; want one item each for shop and pos", counts)
		}
		must(t, db.DropQuarantine(ctx, id))
		if err := db.DropQuarantine(ctx, id); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("second drop = %v; want ErrNotFound", err)
		}
	})
}

func TestAuditLinksAndStockWrites(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend, db *state.DB) {
		ctx := context.Background()
		for i := range 3 {
			must(t, db.Audit(ctx, state.AuditEntry{Link: "shop", Flow: "orders", Action: "created", Key: fmt.Sprint(i), Detail: "Rackbeat order"}))
		}
		must(t, db.Audit(ctx, state.AuditEntry{Link: "pos", Flow: "stock", Action: "written"}))
		entries, err := db.ListAudit(ctx, "shop", 2)
		must(t, err)
		if len(entries) != 2 || entries[0].Key != "2" || entries[1].Key != "1" {
			t.Fatalf("audit = %+v; want newest two of shop", entries)
		}
		all, err := db.ListAudit(ctx, "", 0)
		must(t, err)
		if len(all) != 4 {
			t.Fatalf("all audit = %d", len(all))
		}

		must(t, db.UpsertLink(ctx, state.Link{ID: "shop", Connector: "shopify", ConnectorVersion: "1.0.0"}))
		must(t, db.UpsertLink(ctx, state.Link{ID: "shop", Connector: "shopify", ConnectorVersion: "1.1.0"}))
		l, ok, err := db.Link(ctx, "shop")
		must(t, err)
		if !ok || l.ConnectorVersion != "1.1.0" || l.Disabled {
			t.Fatalf("link = %+v", l)
		}
		links, err := db.Links(ctx)
		must(t, err)
		if len(links) != 1 {
			t.Fatalf("links = %+v", links)
		}

		_, ok, err = db.LastStockWrite(ctx, "shop", "SKU-1", "loc-1")
		must(t, err)
		if ok {
			t.Fatal("stock write found before any was recorded")
		}
		must(t, db.RecordStockWrite(ctx, state.StockWrite{Link: "shop", SKU: "SKU-1", Location: "loc-1", Quantity: 5, IdempotencyKey: "k1"}))
		must(t, db.RecordStockWrite(ctx, state.StockWrite{Link: "shop", SKU: "SKU-1", Location: "loc-1", Quantity: -2, IdempotencyKey: "k2"}))
		w, ok, err := db.LastStockWrite(ctx, "shop", "SKU-1", "loc-1")
		must(t, err)
		if !ok || w.Quantity != -2 || w.IdempotencyKey != "k2" {
			t.Fatalf("last stock write = %+v", w)
		}
	})
}

// Two handles on one SQLite file stand for the CLI beside a running host:
// their transactions contend for the write lock and must all succeed.
func TestSQLiteTwoProcessesContend(t *testing.T) {
	opts := statetest.Backends(t)[0].Options
	ctx := context.Background()
	a := statetest.Open(t, statetest.Backend{Name: "a", Options: opts})
	c := statetest.Open(t, statetest.Backend{Name: "c", Options: opts})
	var wg sync.WaitGroup
	for i, db := range []*state.DB{a, c} {
		wg.Go(func() {
			for j := range 40 {
				if _, err := db.MarkDeliverySeen(ctx, "src", fmt.Sprintf("%d-%d", i, j)); err != nil {
					t.Errorf("write from handle %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	must(t, a.InTx(ctx, func(tx *state.Tx) error { return countRows(tx, "SELECT COUNT(*) FROM webhook_deliveries", &n) }))
	if n != 80 {
		t.Fatalf("%d deliveries recorded, want 80", n)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []state.Options{{Driver: "mysql"}, {Driver: "sqlite"}, {Driver: "postgres"}} {
		if _, err := state.Open(ctx, o); err == nil {
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
	_, err := state.Open(ctx, state.Options{Driver: "postgres", DSN: "postgres://u:topsecretpw@127.0.0.1:1/db?connect_timeout=1"})
	if err == nil || strings.Contains(err.Error(), "topsecretpw") {
		t.Fatalf("bad postgres = %v; want an error without the password", err)
	}
}
