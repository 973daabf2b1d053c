package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// env is one scheduler on one backend, with a record of the jobs handled.
type env struct {
	t  *testing.T
	b  statetest.Backend
	db *state.DB
	s  *schedule.Scheduler

	mu   sync.Mutex
	runs map[string]int // kind/link/key → runs
}

func testOptions() schedule.Options {
	return schedule.Options{
		Workers:            4,
		PerLinkConcurrency: 2,
		MaxAttempts:        3,
		RetryBackoff:       func(int) time.Duration { return 20 * time.Millisecond },
		PollInterval:       50 * time.Millisecond,
		HoldRecheck:        100 * time.Millisecond,
	}
}

func forEach(t *testing.T, fn func(t *testing.T, b statetest.Backend)) {
	for _, b := range statetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

func newEnv(t *testing.T, b statetest.Backend, opts schedule.Options) *env {
	t.Helper()
	e := &env{t: t, b: b, runs: map[string]int{}}
	e.open(opts)
	return e
}

func (e *env) open(opts schedule.Options) {
	e.t.Helper()
	e.db = statetest.Open(e.t, e.b)
	s, err := schedule.New(e.db, nil, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = s
}

func (e *env) start() {
	e.t.Helper()
	if err := e.s.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.stop() })
}

func (e *env) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.s.Stop(ctx); err != nil {
		e.t.Errorf("stop: %v", err)
	}
}

// handle counts every run of kind and then calls fn (nil: succeed).
func (e *env) handle(kind string, fn schedule.HandlerFunc) {
	e.s.Handle(kind, func(ctx context.Context, j schedule.Job) error {
		e.mu.Lock()
		e.runs[j.Kind+"/"+j.Link+"/"+j.Key]++
		e.mu.Unlock()
		if fn != nil {
			return fn(ctx, j)
		}
		return nil
	})
}

func (e *env) count(kind, link, key string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[kind+"/"+link+"/"+key]
}

func (e *env) enqueue(a schedule.Args) schedule.Enqueued {
	e.t.Helper()
	r, err := e.s.Enqueue(context.Background(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// eventually waits for cond; the deadline is generous because machines are
// shared, and it only bounds a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until nothing is queued or running: the point after which no
// further run can happen.
func (e *env) settle() {
	e.t.Helper()
	// One query: read apart, a job could be running when the waiting ones
	// are counted and waiting again (a busy link's snooze) when the running
	// ones are.
	eventually(e.t, "the queue to empty", func() bool {
		var n int
		err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
			q := "SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'pending', 'running')"
			if tx.SQLTx() != nil {
				return tx.SQLTx().QueryRowContext(tx.Context(), q).Scan(&n)
			}
			return tx.PgxTx().QueryRow(tx.Context(), q).Scan(&n)
		})
		if err != nil {
			e.t.Fatal(err)
		}
		return n == 0
	})
}

func (e *env) running() int {
	var n int
	err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
		q := "SELECT COUNT(*) FROM river_job WHERE state = 'running'"
		if tx.SQLTx() != nil {
			return tx.SQLTx().QueryRowContext(tx.Context(), q).Scan(&n)
		}
		return tx.PgxTx().QueryRow(tx.Context(), q).Scan(&n)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestRolledBackEnqueueNeverRunsAndCommittedRunsOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindOrdersImport, nil)
		ctx := context.Background()
		boom := errors.New("webhook handling failed")
		err := e.db.InTx(ctx, func(tx *state.Tx) error {
			if _, err := tx.MarkDeliverySeen("shopify", "delivery-1"); err != nil {
				return err
			}
			if _, err := e.s.EnqueueTx(ctx, tx, schedule.OrdersImport{Link: "shop", ChannelOrderID: "rolled-back"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v", err)
		}
		err = e.db.InTx(ctx, func(tx *state.Tx) error {
			if _, err := tx.MarkDeliverySeen("shopify", "delivery-2"); err != nil {
				return err
			}
			_, err := e.s.EnqueueTx(ctx, tx, schedule.OrdersImport{Link: "shop", ChannelOrderID: "committed", Source: "webhook"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The rolled-back delivery was not recorded either: a redelivery
		// would be processed.
		first, err := e.db.MarkDeliverySeen(ctx, "shopify", "delivery-1")
		if err != nil || !first {
			t.Fatalf("rolled-back delivery id was kept (first=%v, err=%v)", first, err)
		}
		e.start()
		eventually(t, "the committed job to run", func() bool { return e.count(schedule.KindOrdersImport, "shop", "committed") > 0 })
		e.settle()
		if n := e.count(schedule.KindOrdersImport, "shop", "committed"); n != 1 {
			t.Fatalf("committed job ran %d times, want 1", n)
		}
		if n := e.count(schedule.KindOrdersImport, "shop", "rolled-back"); n != 0 {
			t.Fatalf("rolled-back job ran %d times, want 0", n)
		}
	})
}

func TestOrdersImportIsUniquePerOrder(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindOrdersImport, nil)
		first := e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "1001", Source: "webhook"})
		if first.Duplicate {
			t.Fatal("first enqueue reported a duplicate")
		}
		for _, src := range []string{"webhook", "pull", "cli"} {
			r := e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "1001", Source: src})
			if !r.Duplicate || r.ID != first.ID {
				t.Fatalf("second import of order 1001 from %s = %+v; want the first job (%d)", src, r, first.ID)
			}
		}
		if r := e.enqueue(schedule.OrdersImport{Link: "pos", ChannelOrderID: "1001"}); r.Duplicate {
			t.Fatal("the same order id on another link was treated as a duplicate")
		}
		if r := e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "1001", Force: true}); r.Duplicate {
			t.Fatal("a forced import was swallowed by the normal one")
		}
		depth, err := e.s.QueueDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if depth[schedule.KindOrdersImport] != 3 {
			t.Fatalf("queue depth = %v; want 3 orders.import", depth)
		}
		e.start()
		e.settle()
		if n := e.count(schedule.KindOrdersImport, "shop", "1001"); n != 2 {
			t.Fatalf("order 1001 on shop ran %d times; want 2 (one import, one forced)", n)
		}
		if n := e.count(schedule.KindOrdersImport, "pos", "1001"); n != 1 {
			t.Fatalf("order 1001 on pos ran %d times", n)
		}
		// Once completed, the order may be enqueued again (the flow's
		// binding then says it is already imported).
		if r := e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "1001"}); r.Duplicate {
			t.Fatal("a completed import still blocks a new one")
		}
	})
}

func TestStockPushBurstCoalesces(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindStockPush, nil)
		dups := 0
		for range 50 {
			if e.enqueue(schedule.StockPush{Link: "shop", SKU: "SKU-1"}).Duplicate {
				dups++
			}
		}
		if dups != 49 {
			t.Fatalf("%d of 50 pushes were coalesced, want 49", dups)
		}
		e.start()
		e.settle()
		if n := e.count(schedule.KindStockPush, "shop", "SKU-1"); n != 1 {
			t.Fatalf("50 pushes of one SKU ran %d times, want 1", n)
		}
	})
}

// A link runs two pushes at once (the running one and its follow-up). A
// move noted while both run, after both read the pending set, must still
// get a push that starts after it: the CI run where this was missing left
// 18 of 23 moved SKUs unflushed until the 6-hour reconciliation.
func TestStockPushWhileItsFollowUpRunsGetsAnother(t *testing.T) {
	newsAfterBothRead(t, schedule.KindStockPush, schedule.StockPush{Link: "shop"})
}

// The host turns every product webhook of a channel into one coalescing
// products.pull of the link, which reads the channel's changes since its
// cursor. A merchant's edit announced while two such pulls run, both past
// their read of the channel (they wait for the link's products flow, held
// by a reconciliation), must still get a pull that starts after it.
// Without it the 200-edit both-ways proof on Shopify kept three Shopify
// edits out of Rackbeat for good: no pull ran after the edits, and the
// next periodic one was an hour away. (The host's pull also waits out the
// channel's cursor lag, Delay; the follow-up chain does not depend on it,
// and TestPullBurstWhileOneRunsGivesOneFollowUp covers it with the delay.)
func TestChannelPullAnnouncedWhileTwoPullsRunGetsAnother(t *testing.T) {
	newsAfterBothRead(t, schedule.KindProductsPull, schedule.ProductsPull{Link: "shop", Source: "webhook"})
}

// newsAfterBothRead enqueues push (of kind) as a webhook would for each
// piece of news: one, then one more once its job runs, then five while
// both running jobs hold on to what they read when they started. The last
// job to run must have started after the last news.
func newsAfterBothRead(t *testing.T, kind string, push schedule.Args) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		var notes atomic.Int64 // news announced so far, as the webhook sink would
		var mu sync.Mutex
		var seen []int64 // the news each job could see when it started
		started, release := make(chan struct{}, 64), make(chan struct{})
		e.handle(kind, func(ctx context.Context, j schedule.Job) error {
			mu.Lock()
			seen = append(seen, notes.Load())
			mu.Unlock()
			started <- struct{}{}
			<-release
			return nil
		})
		note := func() { notes.Add(1); e.enqueue(push) }
		e.start()
		note()
		<-started
		note() // its follow-up, which starts at once beside it
		<-started
		for range 5 {
			note() // both running jobs have read already
		}
		close(release)
		e.settle()
		mu.Lock()
		defer mu.Unlock()
		if last := seen[len(seen)-1]; last != notes.Load() {
			t.Fatalf("the jobs saw %v of %d announced changes: the last %d wait for the next periodic run", seen, notes.Load(), notes.Load()-last)
		}
		t.Logf("%d announcements, %d runs, which saw %v", notes.Load(), len(seen), seen)
	})
}

func TestRetryThenSuccess(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		var attempts []int
		var mu sync.Mutex
		e.handle(schedule.KindProductsPull, func(ctx context.Context, j schedule.Job) error {
			mu.Lock()
			attempts = append(attempts, j.Attempt)
			mu.Unlock()
			if j.Attempt < 3 {
				return errors.New("rackbeat answered 503")
			}
			return nil
		})
		e.enqueue(schedule.ProductsPull{Link: "shop"})
		e.start()
		eventually(t, "the third attempt", func() bool { return e.count(schedule.KindProductsPull, "shop", "") >= 3 })
		e.settle()
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(attempts) != "[1 2 3]" {
			t.Fatalf("attempts = %v; want [1 2 3]", attempts)
		}
		q, err := e.db.ListQuarantine(context.Background(), state.QuarantineFilter{})
		if err != nil || len(q) != 0 {
			t.Fatalf("quarantine after success = %+v, %v", q, err)
		}
	})
}

func TestExhaustedJobGoesToQuarantineAndCanBeRetried(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		var fixed sync.Mutex
		broken := true
		e.handle(schedule.KindOrdersImport, func(ctx context.Context, j schedule.Job) error {
			fixed.Lock()
			defer fixed.Unlock()
			if broken {
				return fmt.Errorf("rackbeat rejected the order: unknown product %q", "X-9")
			}
			return nil
		})
		e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "77", Source: "webhook"})
		e.start()
		var items []state.QuarantineItem
		eventually(t, "the job to reach quarantine", func() bool {
			var err error
			items, err = e.db.ListQuarantine(context.Background(), state.QuarantineFilter{Link: "shop"})
			if err != nil {
				t.Fatal(err)
			}
			return len(items) > 0
		})
		e.settle()
		if n := e.count(schedule.KindOrdersImport, "shop", "77"); n != 3 {
			t.Fatalf("ran %d times before quarantine; want MaxAttempts=3", n)
		}
		it := items[0]
		var payload schedule.OrdersImport
		_ = json.Unmarshal(it.Payload, &payload)
		if it.Flow != schedule.KindOrdersImport || it.Key != "77" || !strings.Contains(it.LastError, "unknown product") ||
			payload.ChannelOrderID != "77" {
			t.Fatalf("quarantine item = %+v", it)
		}

		fixed.Lock()
		broken = false
		fixed.Unlock()
		if _, err := e.s.RetryQuarantine(context.Background(), it.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the retried job to run", func() bool { return e.count(schedule.KindOrdersImport, "shop", "77") == 4 })
		e.settle()
		if _, ok, _ := e.db.QuarantineItem(context.Background(), it.ID); ok {
			t.Fatal("retried item still in quarantine")
		}
	})
}

func TestPermanentErrorQuarantinesAtOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindProductsPush, func(ctx context.Context, j schedule.Job) error {
			return schedule.Permanent(errors.New("price has 7 decimals"))
		})
		e.enqueue(schedule.ProductsPush{Link: "shop", SKU: "P-1"})
		e.start()
		eventually(t, "quarantine", func() bool {
			q, _ := e.db.ListQuarantine(context.Background(), state.QuarantineFilter{})
			return len(q) == 1
		})
		e.settle()
		if n := e.count(schedule.KindProductsPush, "shop", "P-1"); n != 1 {
			t.Fatalf("a permanent failure ran %d times", n)
		}
	})
}

func TestPerLinkConcurrencyIsNeverExceeded(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		opts := testOptions()
		opts.Workers = 6
		opts.PerLinkConcurrency = 2
		e := newEnv(t, b, opts)
		var mu sync.Mutex
		cur, peak := map[string]int{}, map[string]int{}
		e.handle(schedule.KindStockPush, func(ctx context.Context, j schedule.Job) error {
			mu.Lock()
			cur[j.Link]++
			peak[j.Link] = max(peak[j.Link], cur[j.Link])
			mu.Unlock()
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			cur[j.Link]--
			mu.Unlock()
			return nil
		})
		for i := range 12 {
			e.enqueue(schedule.StockPush{Link: "busy", SKU: fmt.Sprintf("B-%d", i)})
		}
		for i := range 4 {
			e.enqueue(schedule.StockPush{Link: "quiet", SKU: fmt.Sprintf("Q-%d", i)})
		}
		e.start()
		e.settle()
		for i := range 12 {
			if n := e.count(schedule.KindStockPush, "busy", fmt.Sprintf("B-%d", i)); n != 1 {
				t.Fatalf("B-%d ran %d times", i, n)
			}
		}
		for i := range 4 {
			if n := e.count(schedule.KindStockPush, "quiet", fmt.Sprintf("Q-%d", i)); n != 1 {
				t.Fatalf("Q-%d ran %d times", i, n)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if peak["busy"] > 2 || peak["quiet"] > 2 {
			t.Fatalf("peak concurrency per link = %v; limit is 2", peak)
		}
	})
}

func TestJobsSurviveRestart(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.enqueue(schedule.InitialSync{Link: "shop"})
		e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "5"})
		// The host stops before working anything.
		e.db.Close()

		e.open(testOptions())
		e.handle(schedule.KindInitialSync, nil)
		e.handle(schedule.KindOrdersImport, nil)
		e.start()
		e.settle()
		if e.count(schedule.KindInitialSync, "shop", "") != 1 || e.count(schedule.KindOrdersImport, "shop", "5") != 1 {
			t.Fatalf("after restart runs = %v; want each job once", e.runs)
		}
	})
}

// A host killed mid-job leaves the job marked running. On SQLite the next
// start runs it again at once.
func TestSQLiteRunsJobsOrphanedByACrash(t *testing.T) {
	b := statetest.Backends(t)[0]
	e := newEnv(t, b, testOptions())
	e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "crash"})
	err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
		_, err := tx.SQLTx().ExecContext(tx.Context(), "UPDATE river_job SET state = 'running', attempt = 1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.db.Close()
	e.open(testOptions())
	e.handle(schedule.KindOrdersImport, nil)
	e.start()
	e.settle()
	if n := e.count(schedule.KindOrdersImport, "shop", "crash"); n != 1 {
		t.Fatalf("orphaned job ran %d times after restart, want 1", n)
	}
}

func TestDrainWaitsForRunningJobsAndHoldsNewOnes(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		started, release := make(chan string, 4), make(chan struct{})
		e.handle(schedule.KindOrdersImport, func(ctx context.Context, j schedule.Job) error {
			started <- j.Key
			if j.Key == "slow" {
				<-release
			}
			return nil
		})
		e.start()
		e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "slow"})
		<-started

		drained := make(chan error, 1)
		go func() { drained <- e.s.Drain(context.Background(), "shop") }()
		e.enqueue(schedule.OrdersImport{Link: "shop", ChannelOrderID: "held"})
		e.enqueue(schedule.OrdersImport{Link: "other", ChannelOrderID: "free"})
		eventually(t, "another link's job to run during the drain", func() bool {
			return e.count(schedule.KindOrdersImport, "other", "free") == 1
		})
		select {
		case err := <-drained:
			t.Fatalf("Drain returned (%v) while a job of the link was running", err)
		default:
		}
		close(release)
		if err := <-drained; err != nil {
			t.Fatal(err)
		}
		if n := e.count(schedule.KindOrdersImport, "shop", "held"); n != 0 {
			t.Fatalf("a job of a drained link ran %d times", n)
		}
		e.s.Resume("shop")
		eventually(t, "the held job to run after Resume", func() bool {
			return e.count(schedule.KindOrdersImport, "shop", "held") == 1
		})
	})
}

func TestPeriodicSchedule(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindOrdersPull, nil)
		if err := e.s.AddPeriodic(schedule.KindOrdersPull, "shop", time.Second); err != nil {
			t.Fatal(err)
		}
		if err := e.s.AddPeriodic(schedule.KindOrdersImport, "shop", time.Second); err == nil {
			t.Fatal("a per-item kind was accepted as periodic")
		}
		e.start()
		eventually(t, "two periodic pulls", func() bool { return e.count(schedule.KindOrdersPull, "shop", "") >= 2 })
		e.s.RemovePeriodic(schedule.KindOrdersPull, "shop")
	})
}

func TestHandlerPanicIsAFailureNotACrash(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		e.handle(schedule.KindStockReconcile, func(ctx context.Context, j schedule.Job) error {
			if j.Attempt == 1 {
				panic("nil map")
			}
			return nil
		})
		e.enqueue(schedule.StockReconcile{Link: "shop"})
		e.start()
		eventually(t, "the retry after a panic", func() bool { return e.count(schedule.KindStockReconcile, "shop", "") == 2 })
	})
}
