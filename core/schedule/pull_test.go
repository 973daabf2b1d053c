package schedule_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// jobRow is what the tests read of one River job.
type jobRow struct {
	state       string
	scheduledAt time.Time
	args        json.RawMessage
}

func (e *env) job(id int64) jobRow {
	e.t.Helper()
	var r jobRow
	err := e.db.InTx(context.Background(), func(tx *state.Tx) error {
		if tx.SQLTx() != nil {
			// River keeps SQLite's args as binary JSON.
			return tx.SQLTx().QueryRowContext(tx.Context(), "SELECT state, scheduled_at, json(args) FROM river_job WHERE id = ?", id).
				Scan(&r.state, &r.scheduledAt, (*[]byte)(&r.args))
		}
		return tx.PgxTx().QueryRow(tx.Context(), "SELECT state, scheduled_at, args FROM river_job WHERE id = $1", id).
			Scan(&r.state, &r.scheduledAt, (*[]byte)(&r.args))
	})
	if err != nil {
		e.t.Fatalf("read job %d: %v", id, err)
	}
	return r
}

// notBefore fails unless got is at or after want. SQLite keeps River's
// times to the millisecond, rounded, hence the millisecond of slack.
func notBefore(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if got.Before(want.Add(-time.Millisecond)) {
		t.Fatalf("%s is %s, before %s", what, got.UTC().Format(time.StampMicro), want.UTC().Format(time.StampMicro))
	}
}

// A channel's product webhook asks for a pull that waits out the channel's
// cursor lag in the queue. Later webhooks fold into the waiting pull and
// push it back, so each change is read by a pull that starts late enough
// to see it; the periodic pull folds in without bringing it forward; and a
// pull that has waited long enough is not pushed back again (a busy shop's
// stream of webhooks would otherwise hold it for ever): the request gets a
// follow-up instead. The scheduler is not started, so every state read
// here is the one the enqueue left.
func TestDelayedPullWaitsInTheQueueAndAbsorbsLaterRequests(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		const lag = time.Minute
		webhook := schedule.ProductsPull{Link: "shop", Source: "webhook", Delay: lag}

		before := time.Now()
		first := e.enqueue(webhook)
		if first.Duplicate {
			t.Fatal("the first pull was reported a duplicate")
		}
		j := e.job(first.ID)
		if j.state != "scheduled" {
			t.Fatalf("a delayed pull is %s right after its insert; want scheduled, waiting without a worker", j.state)
		}
		notBefore(t, "the delayed pull's start", j.scheduledAt, before.Add(lag))

		before = time.Now()
		if r := e.enqueue(webhook); !r.Duplicate || r.ID != first.ID {
			t.Fatalf("a second webhook pull = %+v; want the waiting one (%d)", r, first.ID)
		}
		pushedBack := e.job(first.ID)
		notBefore(t, "the waiting pull's start after a second webhook", pushedBack.scheduledAt, before.Add(lag))

		periodic, err := schedule.ArgsFor(schedule.KindProductsPull, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if r := e.enqueue(periodic); !r.Duplicate || r.ID != first.ID {
			t.Fatalf("the periodic pull = %+v; want the waiting one (%d)", r, first.ID)
		}
		if j := e.job(first.ID); j.state != "scheduled" || !j.scheduledAt.Equal(pushedBack.scheduledAt) {
			t.Fatalf("the periodic pull moved the waiting one: %s at %s, was scheduled at %s", j.state, j.scheduledAt, pushedBack.scheduledAt)
		}

		// The waiting pull was created long ago, as under a steady stream.
		err = e.db.InTx(context.Background(), func(tx *state.Tx) error {
			if tx.SQLTx() != nil {
				_, err := tx.SQLTx().ExecContext(tx.Context(), "UPDATE river_job SET created_at = strftime('%Y-%m-%d %H:%M:%f', created_at, '-1 hours') WHERE id = ?", first.ID)
				return err
			}
			_, err := tx.PgxTx().Exec(tx.Context(), "UPDATE river_job SET created_at = created_at - interval '1 hour' WHERE id = $1", first.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		before = time.Now()
		follow := e.enqueue(webhook)
		if follow.Duplicate || follow.ID == first.ID {
			t.Fatalf("a webhook pull after the waiting one's postponements ran out = %+v; want a new follow-up", follow)
		}
		if j := e.job(first.ID); !j.scheduledAt.Equal(pushedBack.scheduledAt) {
			t.Fatalf("the old waiting pull was pushed back again, to %s", j.scheduledAt)
		}
		f := e.job(follow.ID)
		var fa schedule.ProductsPull
		if err := json.Unmarshal(f.args, &fa); err != nil {
			t.Fatal(err)
		}
		if f.state != "scheduled" || fa.After != first.ID || fa.Link != "shop" || fa.Source != "webhook" {
			t.Fatalf("the follow-up is %s with %s; want scheduled, after %d", f.state, f.args, first.ID)
		}
		notBefore(t, "the follow-up's start", f.scheduledAt, before.Add(lag))
		if r := e.enqueue(webhook); !r.Duplicate || r.ID != follow.ID {
			t.Fatalf("the next webhook pull = %+v; want the waiting follow-up (%d)", r, follow.ID)
		}

		depth, err := e.s.QueueDepth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if depth[schedule.KindProductsPull] != 2 || depth[schedule.KindProductsPush] != 0 {
			t.Fatalf("queue depth = %v; want 2 products.pull and no products.push", depth)
		}
	})
}

// A burst of webhook pulls while a pull of the link runs gives exactly one
// follow-up: the running pull may have read past the changes already. The
// follow-up starts after the whole burst, having seen every request, and
// not before it is due.
func TestPullBurstWhileOneRunsGivesOneFollowUp(t *testing.T) {
	forEach(t, func(t *testing.T, b statetest.Backend) {
		e := newEnv(t, b, testOptions())
		// Short, to keep the test quick; each request pushes the follow-up
		// back by as much, so it can only start once the burst has paused
		// for this long.
		const lag = 2 * time.Second
		type run struct {
			id, after int64
			seen      int64 // requests made when the pull started
			at        time.Time
		}
		var requests atomic.Int64
		var mu sync.Mutex
		var runs []run
		started, release := make(chan struct{}, 8), make(chan struct{})
		e.handle(schedule.KindProductsPull, func(ctx context.Context, j schedule.Job) error {
			var a schedule.ProductsPull
			if err := json.Unmarshal(j.Args, &a); err != nil {
				return schedule.Permanent(err)
			}
			mu.Lock()
			runs = append(runs, run{id: j.ID, after: a.After, seen: requests.Load(), at: time.Now()})
			mu.Unlock()
			started <- struct{}{}
			<-release
			return nil
		})
		e.start()
		running := e.enqueue(schedule.ProductsPull{Link: "shop"})
		<-started

		var follow schedule.Enqueued
		for i := range 10 {
			requests.Add(1)
			r := e.enqueue(schedule.ProductsPull{Link: "shop", Source: "webhook", Delay: lag})
			switch {
			case i == 0 && (r.Duplicate || r.ID == running.ID):
				t.Fatalf("a webhook pull while one runs = %+v; want a follow-up (it was folded into the running one)", r)
			case i == 0:
				follow = r
			case !r.Duplicate || r.ID != follow.ID:
				t.Fatalf("webhook pull %d of the burst = %+v; want the one follow-up %d", i+1, r, follow.ID)
			}
		}
		close(release)
		e.settle()

		mu.Lock()
		defer mu.Unlock()
		if len(runs) != 2 {
			t.Fatalf("pulls run: %+v; want the running one and one follow-up", runs)
		}
		f := runs[1]
		if f.id != follow.ID || f.after != running.ID {
			t.Fatalf("second pull = %+v; want the follow-up %d after %d", f, follow.ID, running.ID)
		}
		if f.seen != requests.Load() {
			t.Fatalf("the follow-up started after %d of the burst's %d requests", f.seen, requests.Load())
		}
		notBefore(t, "the follow-up's start", f.at, e.job(follow.ID).scheduledAt)
	})
}
