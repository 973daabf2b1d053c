package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// drainOptions make every wait but Resume's release far longer than the
// tests' bounds: a held job that runs in time was released by Resume, not
// by a recheck.
func drainOptions() schedule.Options {
	o := testOptions()
	o.HoldRecheck = 10 * time.Minute
	o.HoldWait = 10 * time.Minute
	return o
}

// jobState reads the state and attempt count of the one job of kind for link.
func (e *env) jobState(kind, link string) (string, int) {
	e.t.Helper()
	var st string
	var attempt int
	err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
		if tx.SQLTx() != nil {
			return tx.SQLTx().QueryRowContext(tx.Context(),
				"SELECT state, attempt FROM river_job WHERE kind = ? AND json_extract(args, '$.link') = ?", kind, link).Scan(&st, &attempt)
		}
		return tx.PgxTx().QueryRow(tx.Context(),
			"SELECT state::text, attempt FROM river_job WHERE kind = $1 AND args->>'link' = $2", kind, link).Scan(&st, &attempt)
	})
	if err != nil {
		e.t.Fatalf("read %s job of %s: %v", kind, link, err)
	}
	return st, attempt
}

func TestDrainCancelsTheLinksLongJobsAndWaitsForItsItemJobs(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, drainOptions())
		started := make(chan string, 8)
		attempts := make(chan int, 8)
		releaseItem, releaseB := make(chan struct{}), make(chan struct{})
		itemErr, bErr := make(chan error, 1), make(chan error, 1)
		e.handle(schedule.KindStockReconcile, func(ctx context.Context, j schedule.Job) error {
			started <- "reconcile/" + j.Link
			if j.Link == "b" {
				select {
				case <-releaseB:
				case <-ctx.Done():
				}
				bErr <- ctx.Err()
				return nil
			}
			attempts <- j.Attempt
			if e.count(schedule.KindStockReconcile, "a", "") > 1 {
				return nil
			}
			// A long job that only ends when cancelled, as a six-hour
			// reconciliation would look to a drain.
			<-ctx.Done()
			return fmt.Errorf("reconcile stopped at page 3: %w", context.Cause(ctx))
		})
		e.handle(schedule.KindOrdersImport, func(ctx context.Context, j schedule.Job) error {
			started <- "import/" + j.Key
			if j.Key == "in-flight" {
				<-releaseItem
				itemErr <- ctx.Err()
			}
			return nil
		})
		e.enqueue(schedule.StockReconcile{Link: "a"})
		e.enqueue(schedule.StockReconcile{Link: "b"})
		e.enqueue(schedule.OrdersImport{Link: "a", ChannelOrderID: "in-flight"})
		e.start()
		seen := map[string]bool{}
		for len(seen) < 3 {
			seen[<-started] = true
		}
		if a := <-attempts; a != 1 {
			t.Fatalf("first run of a's reconciliation is attempt %d, want 1", a)
		}

		drained := make(chan error, 1)
		go func() { drained <- e.s.Drain(context.Background(), "a", schedule.CancelLongJobs()) }()
		eventually(t, "a's reconciliation to be cancelled and held", func() bool {
			st, _ := e.jobState(schedule.KindStockReconcile, "a")
			return st == "scheduled"
		})
		if _, attempt := e.jobState(schedule.KindStockReconcile, "a"); attempt != 0 {
			t.Fatalf("the cancelled reconciliation spent an attempt: attempt = %d, want 0", attempt)
		}
		e.enqueue(schedule.OrdersImport{Link: "a", ChannelOrderID: "held"})
		select {
		case err := <-drained:
			t.Fatalf("Drain returned (%v) while an import of the link was still running", err)
		default:
		}
		close(releaseItem)
		if err := <-itemErr; err != nil {
			t.Fatalf("the in-flight import was cancelled by the drain: %v", err)
		}
		if err := <-drained; err != nil {
			t.Fatal(err)
		}
		if n := e.count(schedule.KindOrdersImport, "a", "held"); n != 0 {
			t.Fatalf("a job of the drained link ran %d times while held", n)
		}
		if n := e.count(schedule.KindStockReconcile, "a", ""); n != 1 {
			t.Fatalf("a's reconciliation ran %d times while held, want 1", n)
		}
		select {
		case err := <-bErr:
			t.Fatalf("another link's reconciliation ended during a's drain: %v", err)
		default:
		}

		e.s.Resume("a")
		eventually(t, "a's held jobs to run after Resume", func() bool {
			return e.count(schedule.KindStockReconcile, "a", "") == 2 && e.count(schedule.KindOrdersImport, "a", "held") == 1
		})
		if a := <-attempts; a != 1 {
			t.Fatalf("the reconciliation runs again as attempt %d, want 1: the drain spent an attempt", a)
		}
		close(releaseB)
		if err := <-bErr; err != nil {
			t.Fatalf("another link's reconciliation was cancelled: %v", err)
		}
		e.settle()
	})
}

// A job fetched just before Resume is held, but River saves its snooze up
// to a quarter second later, after Resume's release: it must not wait out
// HoldWait.
func TestJobHeldAsTheLinkResumesRunsSoon(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, drainOptions())
		e.handle(schedule.KindOrdersImport, nil)
		e.start()
		for i := range 5 {
			if err := e.s.Drain(context.Background(), "a"); err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprint("order-", i)
			e.enqueue(schedule.OrdersImport{Link: "a", ChannelOrderID: key})
			eventually(t, "the job to be fetched", func() bool {
				st, _ := e.jobStateKey(schedule.KindOrdersImport, key)
				return st != "available"
			})
			e.s.Resume("a")
			eventually(t, "the job held as the link resumed to run", func() bool {
				return e.count(schedule.KindOrdersImport, "a", key) == 1
			})
		}
	})
}

func (e *env) jobStateKey(kind, key string) (string, int) {
	e.t.Helper()
	var st string
	var attempt int
	err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
		if tx.SQLTx() != nil {
			return tx.SQLTx().QueryRowContext(tx.Context(),
				"SELECT state, attempt FROM river_job WHERE kind = ? AND json_extract(args, '$.channel_order_id') = ?", kind, key).Scan(&st, &attempt)
		}
		return tx.PgxTx().QueryRow(tx.Context(),
			"SELECT state::text, attempt FROM river_job WHERE kind = $1 AND args->>'channel_order_id' = $2", kind, key).Scan(&st, &attempt)
	})
	if err != nil {
		e.t.Fatalf("read %s job %s: %v", kind, key, err)
	}
	return st, attempt
}

// A job held later waits for a rate limit like any other: the hold's mark
// does not make the next Resume release it early.
func TestHeldMarkIsClearedWhenTheJobRuns(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, drainOptions())
		e.handle(schedule.KindOrdersImport, func(ctx context.Context, j schedule.Job) error {
			return schedule.RetryAfter(time.Hour, errors.New("rate limited"))
		})
		e.start()
		if err := e.s.Drain(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		e.enqueue(schedule.OrdersImport{Link: "a", ChannelOrderID: "1"})
		eventually(t, "the job to be held", func() bool {
			st, _ := e.jobStateKey(schedule.KindOrdersImport, "1")
			return st == "scheduled"
		})
		e.s.Resume("a")
		eventually(t, "the job to run and wait for the rate limit", func() bool {
			st, _ := e.jobStateKey(schedule.KindOrdersImport, "1")
			return e.count(schedule.KindOrdersImport, "a", "1") == 1 && st == "scheduled"
		})
		if err := e.s.Drain(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		e.s.Resume("a")
		// Another link's job, enqueued after the Resume, runs after any
		// release Resume made; then a's job must still be waiting.
		e.enqueue(schedule.OrdersImport{Link: "z", ChannelOrderID: "marker"})
		eventually(t, "the marker job", func() bool { return e.count(schedule.KindOrdersImport, "z", "marker") == 1 })
		if st, _ := e.jobStateKey(schedule.KindOrdersImport, "1"); st != "scheduled" || e.count(schedule.KindOrdersImport, "a", "1") != 1 {
			t.Fatalf("a rate-limited job was released by Resume: state %s, runs %d", st, e.count(schedule.KindOrdersImport, "a", "1"))
		}
	})
}

// On SQLite a host that stopped during a drain holds nothing after it
// restarts.
func TestSQLiteReleasesHeldJobsOnStart(t *testing.T) {
	b := statetest.Backends(t)[0]
	e := newEnv(t, b, drainOptions())
	e.handle(schedule.KindOrdersImport, nil)
	if err := e.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Drain(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	e.enqueue(schedule.OrdersImport{Link: "a", ChannelOrderID: "1"})
	eventually(t, "the job to be held", func() bool {
		st, _ := e.jobStateKey(schedule.KindOrdersImport, "1")
		return st == "scheduled"
	})
	e.stop()
	e.db.Close()

	e.open(drainOptions())
	e.handle(schedule.KindOrdersImport, nil)
	e.start()
	eventually(t, "the held job to run after the restart", func() bool {
		return e.count(schedule.KindOrdersImport, "a", "1") == 1
	})
}

// A held job is looked at once per hold, not every HoldRecheck: on SQLite
// each look is a write on the one connection the other links need.
func TestHeldJobsAreFetchedOncePerHold(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		o := testOptions() // HoldRecheck 100 ms
		e := newEnv(t, b, o)
		e.handle(schedule.KindStockPush, nil)
		e.start()
		if err := e.s.Drain(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		const n = 20
		for i := range n {
			e.enqueue(schedule.StockPush{Link: "a", SKU: fmt.Sprint("S-", i)})
		}
		snoozes := func() (held, total int) {
			err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
				// Every look at a held job is a snooze River counts in
				// its metadata.
				q := "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT CAST(json_extract(metadata, '$.snoozes') AS INTEGER) AS n " +
					"FROM river_job WHERE state IN ('available', 'scheduled', 'running')) AS j WHERE n > 0"
				if tx.SQLTx() != nil {
					return tx.SQLTx().QueryRowContext(tx.Context(), q).Scan(&held, &total)
				}
				return tx.PgxTx().QueryRow(tx.Context(),
					"SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT (metadata->>'snoozes')::int AS n "+
						"FROM river_job WHERE state IN ('available', 'scheduled', 'running')) AS j WHERE n > 0").Scan(&held, &total)
			})
			if err != nil {
				t.Fatal(err)
			}
			return held, total
		}
		eventually(t, "every job to be held", func() bool { h, _ := snoozes(); return h == n })
		// Ten HoldRechecks: a job rechecked at that pace would be looked at
		// about ten more times.
		time.Sleep(10 * o.HoldRecheck)
		if h, total := snoozes(); h != n || total != n {
			t.Fatalf("%d held jobs were looked at %d times in all, want once each", h, total)
		}
		e.s.Resume("a")
		e.settle()
		for i := range n {
			if c := e.count(schedule.KindStockPush, "a", fmt.Sprint("S-", i)); c != 1 {
				t.Fatalf("S-%d ran %d times after Resume, want 1", i, c)
			}
		}
	})
}
