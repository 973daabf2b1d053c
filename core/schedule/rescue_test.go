package schedule_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// helperDSNEnv names the database a helper scheduler process works on.
const helperDSNEnv = "SHOPBRIDGE_SCHEDULE_HELPER_DSN"

// rescueOptions take a host for dead after seconds, not the default 30 s,
// and keep the default six-hour LongJobTimeout: River alone would leave a
// dead host's reconciliation running for that long.
func rescueOptions() schedule.Options {
	o := testOptions()
	o.DeadAfter = 3 * time.Second
	o.HeartbeatEvery = 300 * time.Millisecond
	return o
}

// postgres returns the PostgreSQL backend, or skips the test.
func postgres(t *testing.T) statetest.Backend {
	t.Helper()
	for _, b := range statetest.Backends(t) {
		if b.Name == state.DriverPostgres {
			return b
		}
	}
	t.Skipf("%s is not set: several hosts share a queue only on PostgreSQL", statetest.PostgresDSNEnv)
	return statetest.Backend{}
}

// waitFor waits for cond up to limit; a bound on a hang, not a timing
// assertion.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHelperSchedulerProcess is not a test: TestDeadHostsLongJobRunsOnALiveHost
// starts this test binary again with helperDSNEnv set, and it runs a
// scheduler whose reconciliation never ends, until it is SIGKILLed.
func TestHelperSchedulerProcess(t *testing.T) {
	dsn := os.Getenv(helperDSNEnv)
	if dsn == "" {
		t.Skip("runs only as the helper process of TestDeadHostsLongJobRunsOnALiveHost")
	}
	ctx := context.Background()
	log := hclog.New(&hclog.LoggerOptions{Name: "helper", Level: hclog.Info, Output: os.Stderr})
	db, err := state.Open(ctx, state.Options{Driver: state.DriverPostgres, DSN: dsn, SecretKey: statetest.TestKey, Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s, err := schedule.New(db, log, rescueOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s.Handle(schedule.KindStockReconcile, func(ctx context.Context, j schedule.Job) error {
		fmt.Printf("running job %d as %s\n", j.ID, s.ID())
		<-ctx.Done()
		return ctx.Err()
	})
	if err := s.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	time.Sleep(10 * time.Minute)
	os.Exit(3)
}

// A host is SIGKILLed in the middle of a reconciliation (a long job, six
// hours' timeout). A live host must run it within a minute, and the dead
// host's heartbeat row must be cleaned up.
func TestDeadHostsLongJobRunsOnALiveHost(t *testing.T) {
	b := postgres(t)
	live := newEnv(t, b, rescueOptions())
	var mu sync.Mutex
	var ranAt time.Time
	live.handle(schedule.KindStockReconcile, func(ctx context.Context, j schedule.Job) error {
		mu.Lock()
		defer mu.Unlock()
		if ranAt.IsZero() {
			ranAt = time.Now()
		}
		return nil
	})
	job := live.enqueue(schedule.StockReconcile{Link: "shop"})

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSchedulerProcess$")
	cmd.Env = append(os.Environ(), helperDSNEnv+"="+b.Options.DSN)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "running job ") {
				lines <- sc.Text()
			}
		}
		close(lines)
	}()
	var dead string
	select {
	case l, ok := <-lines:
		var id int64
		if _, err := fmt.Sscanf(l, "running job %d as %s", &id, &dead); !ok || err != nil || id != job.ID {
			t.Fatalf("helper said %q (%v); want it to run job %d\n%s", l, err, job.ID, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the helper process did not start the job\n%s", stderr.String())
	}

	// The live host starts while the helper runs the job, and must leave
	// it alone until the helper dies.
	live.start()
	time.Sleep(rescueOptions().DeadAfter / 2)
	if n := live.count(schedule.KindStockReconcile, "shop", ""); n != 0 {
		t.Fatalf("the live host ran a job the helper was still running (%d runs)", n)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := time.Now()

	waitFor(t, 60*time.Second, "the dead host's reconciliation to run on the live host", func() bool {
		return live.count(schedule.KindStockReconcile, "shop", "") > 0
	})
	mu.Lock()
	t.Logf("the reconciliation of the SIGKILLed host ran on the live host %s after the kill (DeadAfter %s, LongJobTimeout 6h)",
		ranAt.Sub(killed).Round(10*time.Millisecond), rescueOptions().DeadAfter)
	mu.Unlock()
	live.settle()
	if n := live.count(schedule.KindStockReconcile, "shop", ""); n != 1 {
		t.Fatalf("the rescued job ran %d times on the live host; want 1", n)
	}
	if n := live.s.Rescued(); n != 1 {
		t.Fatalf("Rescued() = %d; want 1", n)
	}
	ctx := context.Background()
	var from string
	if err := live.db.PgxPool().QueryRow(ctx, `SELECT metadata->>'shopbridge:rescued_from' FROM river_job WHERE id = $1`, job.ID).Scan(&from); err != nil {
		t.Fatal(err)
	}
	if from != dead {
		t.Fatalf("job %d notes it was rescued from %q; want the helper %q", job.ID, from, dead)
	}
	waitFor(t, 30*time.Second, "the dead host's heartbeat row to be removed", func() bool {
		var n int
		if err := live.db.PgxPool().QueryRow(ctx, `SELECT count(*) FROM scheduler_heartbeats WHERE client_id = $1`, dead).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
}

// Two live hosts: a reconciliation that runs four times longer than
// DeadAfter is never taken over, and a host that stops cleanly removes its
// heartbeat row.
func TestLiveHostsLongJobIsNotTakenOver(t *testing.T) {
	b := postgres(t)
	opts := rescueOptions()
	hosts := []*env{newEnv(t, b, opts), newEnv(t, b, opts)}
	t.Cleanup(func() {
		// Runs after both hosts stopped (cleanups run last-in first-out).
		var n int
		if err := hosts[0].db.PgxPool().QueryRow(context.Background(), `SELECT count(*) FROM scheduler_heartbeats`).Scan(&n); err != nil {
			t.Error(err)
		} else if n != 0 {
			t.Errorf("%d heartbeat rows left after both hosts stopped cleanly; want 0", n)
		}
	})
	var mu sync.Mutex
	running, peak, runs := 0, 0, 0
	for _, h := range hosts {
		h.handle(schedule.KindStockReconcile, func(ctx context.Context, j schedule.Job) error {
			mu.Lock()
			running++
			runs++
			peak = max(peak, running)
			mu.Unlock()
			defer func() { mu.Lock(); running--; mu.Unlock() }()
			select {
			case <-time.After(4 * opts.DeadAfter):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}
	hosts[0].enqueue(schedule.StockReconcile{Link: "shop"})
	for _, h := range hosts {
		h.start()
	}
	waitFor(t, 30*time.Second, "the reconciliation to start", func() bool { mu.Lock(); defer mu.Unlock(); return runs > 0 })
	waitFor(t, 60*time.Second, "the reconciliation to finish", func() bool { return hosts[0].running() == 0 })
	hosts[0].settle()
	mu.Lock()
	defer mu.Unlock()
	if runs != 1 || peak != 1 {
		t.Fatalf("a reconciliation longer than DeadAfter ran %d times (at most %d at once); want once", runs, peak)
	}
	for i, h := range hosts {
		if n := h.s.Rescued(); n != 0 {
			t.Fatalf("host %d rescued %d jobs of a live host", i, n)
		}
	}
}
