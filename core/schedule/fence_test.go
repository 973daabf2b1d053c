package schedule

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// A host that cannot write its heartbeat will soon be taken for dead, and
// its jobs run elsewhere. Before that happens it must stop its own running
// jobs and take no new ones, or a job would run on two hosts at once; once
// its heartbeat is written again it works as before.
func TestHostCutOffFromTheDatabaseStopsItsJobs(t *testing.T) {
	var backend *statetest.Backend
	for _, b := range statetest.Backends(t) {
		if b.Name == state.DriverPostgres {
			backend = &b
		}
	}
	if backend == nil {
		t.Skipf("%s is not set: heartbeats run only on PostgreSQL", statetest.PostgresDSNEnv)
	}
	db := statetest.Open(t, *backend)
	s, err := New(db, nil, Options{Workers: 2, MaxAttempts: 5, PollInterval: 50 * time.Millisecond, HoldRecheck: 100 * time.Millisecond,
		RetryBackoff: func(int) time.Duration { return 50 * time.Millisecond },
		DeadAfter:    2 * time.Second, HeartbeatEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var cutOff atomic.Bool
	s.beat.dial = func(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
		if cutOff.Load() {
			return nil, errors.New("the database cannot be reached (test)")
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
	var mu sync.Mutex
	var attempts []int
	cause := make(chan error, 1)
	s.Handle(KindStockReconcile, func(ctx context.Context, j Job) error {
		mu.Lock()
		attempts = append(attempts, j.Attempt)
		mu.Unlock()
		if j.Attempt > 1 {
			return nil
		}
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = s.Stop(c)
	})
	if _, err := s.Enqueue(ctx, StockReconcile{Link: "shop"}); err != nil {
		t.Fatal(err)
	}
	calls := func() []int { mu.Lock(); defer mu.Unlock(); return append([]int(nil), attempts...) }
	waitUntil(t, "the reconciliation to start", func() bool { return len(calls()) == 1 })

	// Cut the heartbeat off: its connection ends and it cannot reconnect.
	cutOff.Store(true)
	if _, err := db.PgxPool().Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", s.beat.appName()); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-cause:
		if !errors.Is(c, errFenced) {
			t.Fatalf("the running job was cancelled by %v; want the fence", c)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the running job was not cancelled although the host could not write its heartbeat")
	}
	// The retry is due in 50 ms; while cut off the host must not run it.
	time.Sleep(time.Second)
	if n := len(calls()); n != 1 {
		t.Fatalf("a host that cannot write its heartbeat ran a job again (%d runs)", n)
	}
	cutOff.Store(false)
	waitUntil(t, "the job to run again once the heartbeat is back", func() bool { return len(calls()) == 2 })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
