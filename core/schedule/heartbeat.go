package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file is how hosts sharing a PostgreSQL queue notice that one of them
// died. River's own rescuer only retries a job still marked "running" once
// the job's timeout has passed since it started, which for reconciliations
// and pulls (LongJobTimeout, six hours) blocks the link's next run of that
// kind for hours: periodic jobs are unique while not finished. So every
// scheduler writes a heartbeat row under its River client id, with the
// database's clock, and every scheduler sweeps: a running job whose last
// attempt was taken by a client whose heartbeat is older than DeadAfter is
// made available again at once, whatever its timeout.

// newClientID names one scheduler run: the machine, the process and a random
// part, so two schedulers are never confused even in one process, and an
// operator can tell from river_job.attempted_by which host held a job.
func newClientID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, host)
	if host == "" {
		host = "unknown"
	}
	if len(host) > 40 {
		host = host[:40]
	}
	buf := make([]byte, 4)
	_, _ = rand.Read(buf)
	return fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(buf))
}

// errFenced cancels the jobs of a host that could not reach the database
// for long enough that the others may soon take it for dead.
var errFenced = errors.New("this host has not been able to write its heartbeat to the database; the job is cancelled so that another host can take it without running it twice")

// beat is one scheduler's heartbeat and sweep on PostgreSQL.
type beat struct {
	s     *Scheduler
	id    string
	cfg   *pgx.ConnConfig
	epoch time.Time

	// lastOK is when (nanoseconds after epoch, on this host's monotonic
	// clock) the last heartbeat that succeeded was sent. The row it wrote
	// carries the database's time of that moment or later, so the others
	// cannot take this host for dead before lastOK + DeadAfter.
	lastOK  atomic.Int64
	fenced  atomic.Bool
	rescued atomic.Int64

	conn *pgx.Conn // used by start, then only by loop, then by halt
	dial func(context.Context, *pgx.ConnConfig) (*pgx.Conn, error)
	stop chan struct{}
	done chan struct{}
}

func newBeat(s *Scheduler, id string) *beat {
	b := &beat{s: s, id: id, cfg: s.db.PgxPool().Config().ConnConfig.Copy(), epoch: time.Now(), dial: pgx.ConnectConfig}
	if b.cfg.RuntimeParams == nil {
		b.cfg.RuntimeParams = map[string]string{}
	}
	// An operator finds each host's heartbeat connection in
	// pg_stat_activity by this name.
	b.cfg.RuntimeParams["application_name"] = b.appName()
	return b
}

// appName fits PostgreSQL's 63-byte limit on application names.
func (b *beat) appName() string {
	n := "shopbridge heartbeat " + b.id
	if len(n) > 63 {
		n = n[len(n)-63:]
	}
	return n
}

// opTimeout bounds one heartbeat or sweep, so a connection that hangs is
// replaced well before the host fences itself.
func (b *beat) opTimeout() time.Duration { return b.s.opts.DeadAfter / 3 }

// fenceAfter is how long without a heartbeat this host stops its own jobs.
// Half of DeadAfter leaves the other half for the cancelled handlers to
// return before anyone may take the jobs over.
func (b *beat) fenceAfter() time.Duration { return b.s.opts.DeadAfter / 2 }

// alive says whether this host's jobs may run: its heartbeat is recent
// enough that no other host can have taken it for dead.
func (b *beat) alive() bool {
	return time.Since(b.epoch)-time.Duration(b.lastOK.Load()) < b.fenceAfter()
}

// start writes the first heartbeat, so the row exists before River takes any
// job under this client id, sweeps once (hosts may have died while this one
// was down), and keeps beating until halt.
func (b *beat) start(ctx context.Context) error {
	if _, err := b.beatOnce(ctx); err != nil {
		return fmt.Errorf("schedule: write this host's first heartbeat to PostgreSQL: %w", err)
	}
	b.sweep(ctx)
	b.stop, b.done = make(chan struct{}), make(chan struct{})
	go b.loop()
	return nil
}

func (b *beat) loop() {
	defer close(b.done)
	t := time.NewTicker(b.s.opts.HeartbeatEvery)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		rejoined, err := b.beatOnce(ctx)
		if err == nil {
			if b.fenced.Swap(false) {
				b.s.log.Warn("heartbeat written again; this host takes jobs again")
			}
			if rejoined {
				b.s.log.Warn("this host's heartbeat row was gone: the other hosts took it for dead and may have run its jobs elsewhere", "client_id", b.id)
			}
			b.sweep(ctx)
			continue
		}
		silent := time.Since(b.epoch) - time.Duration(b.lastOK.Load())
		b.s.log.Warn("could not write this host's heartbeat", "silent_for", silent.Round(time.Millisecond), "error", err)
		if silent >= b.fenceAfter() {
			b.fenced.Store(true)
			if n := b.s.cancelRunning(errFenced); n > 0 {
				b.s.log.Error("no heartbeat for too long: cancelled this host's running jobs so other hosts can take them without running them twice",
					"jobs", n, "silent_for", silent.Round(time.Millisecond), "dead_after", b.s.opts.DeadAfter)
			}
		}
	}
}

// connect returns the heartbeat's own connection, opening it if needed. It
// does not share the pool: with every pooled connection busy with jobs a
// heartbeat would wait, and a live host would look dead.
func (b *beat) connect(ctx context.Context) (*pgx.Conn, error) {
	if b.conn != nil {
		return b.conn, nil
	}
	c, err := b.dial(ctx, b.cfg)
	if err != nil {
		return nil, err
	}
	b.conn = c
	return c, nil
}

func (b *beat) drop() {
	if b.conn != nil {
		_ = b.conn.Close(context.Background())
		b.conn = nil
	}
}

// beatOnce writes the heartbeat row with the database's clock, so that a
// host whose clock is off is judged by the same clock as everyone else.
// inserted is true when the row was new: at start, or when a sweep of
// another host had removed it.
func (b *beat) beatOnce(ctx context.Context) (inserted bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, b.opTimeout())
	defer cancel()
	sent := time.Since(b.epoch)
	c, err := b.connect(ctx)
	if err != nil {
		return false, err
	}
	host, _ := os.Hostname()
	err = c.QueryRow(ctx, `INSERT INTO scheduler_heartbeats (client_id, hostname, pid, started_at, heartbeat_at)
		VALUES ($1, $2, $3, now(), now())
		ON CONFLICT (client_id) DO UPDATE SET heartbeat_at = now()
		RETURNING xmax = 0`, b.id, host, os.Getpid()).Scan(&inserted)
	if err != nil {
		b.drop()
		return false, err
	}
	b.lastOK.Store(int64(sent))
	return inserted, nil
}

// sweepSQL makes the running jobs of dead clients available again, in one
// statement. Rows are locked with SKIP LOCKED: when two hosts sweep at once,
// or River is writing the job's outcome, the row goes to whoever locked it
// first and the others skip it, so a job is rescued once. The state is
// checked again under the lock, so a job a live host has taken since is left
// alone. The rescue is noted in the job's errors and metadata, where River's
// tools show it.
const sweepSQL = `WITH dead AS (
    SELECT client_id, now() - heartbeat_at AS silent
    FROM scheduler_heartbeats
    WHERE heartbeat_at < now() - make_interval(secs => $1::float8) AND client_id <> $2
), victims AS (
    SELECT j.id, d.client_id
    FROM river_job j JOIN dead d ON d.client_id = j.attempted_by[array_upper(j.attempted_by, 1)]
    WHERE j.state = 'running'
    ORDER BY j.id
    FOR UPDATE OF j SKIP LOCKED
), rescued AS (
    UPDATE river_job j
    SET state = 'available',
        scheduled_at = now(),
        errors = array_append(j.errors, jsonb_build_object(
            'at', now(), 'attempt', j.attempt, 'trace', '',
            'error', 'the host running this job (' || v.client_id || ') stopped writing heartbeats; made available to the live hosts')),
        metadata = j.metadata || jsonb_build_object('shopbridge:rescued_from', v.client_id)
    FROM victims v
    WHERE j.id = v.id
    RETURNING v.client_id, j.kind
)
SELECT r.client_id, count(*), array_agg(r.kind ORDER BY r.kind), extract(epoch FROM max(d.silent))::float8
FROM rescued r JOIN dead d USING (client_id)
GROUP BY r.client_id`

// cleanupSQL removes the rows of dead clients that hold no running job any
// more. A row whose job was skipped by the sweep (locked elsewhere) stays,
// so the next sweep still knows that client is dead.
const cleanupSQL = `DELETE FROM scheduler_heartbeats h
WHERE h.heartbeat_at < now() - make_interval(secs => $1::float8) AND h.client_id <> $2
  AND NOT EXISTS (SELECT 1 FROM river_job j
                  WHERE j.state = 'running' AND j.attempted_by[array_upper(j.attempted_by, 1)] = h.client_id)`

type rescue struct {
	client string
	jobs   int64
	kinds  []string
	silent float64
}

// sweep rescues the jobs of dead clients and forgets those clients. Every
// host sweeps at each heartbeat: the statement is cheap (running jobs are
// few and indexed by state), and no single host has to be alive for it.
func (b *beat) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, b.opTimeout())
	defer cancel()
	c, err := b.connect(ctx)
	if err != nil {
		b.s.log.Warn("could not look for jobs of dead hosts", "error", err)
		return
	}
	dead := b.s.opts.DeadAfter.Seconds()
	var found []rescue
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sweepSQL, dead, b.id)
		if err != nil {
			return err
		}
		found, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rescue, error) {
			var x rescue
			err := r.Scan(&x.client, &x.jobs, &x.kinds, &x.silent)
			return x, err
		})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, cleanupSQL, dead, b.id)
		return err
	})
	if err != nil {
		b.drop()
		b.s.log.Warn("could not look for jobs of dead hosts", "error", err)
		return
	}
	for _, x := range found {
		b.rescued.Add(x.jobs)
		b.s.log.Warn(fmt.Sprintf("rescued %d jobs of dead host %s", x.jobs, x.client),
			"jobs", x.jobs, "dead_client", x.client, "kinds", strings.Join(x.kinds, ","),
			"silent_for", time.Duration(x.silent*float64(time.Second)).Round(time.Second), "dead_after", b.s.opts.DeadAfter)
	}
}

// halt stops beating and removes this host's row, unless a job of this host
// still looks running (River could not write its outcome): then the row is
// left to go stale, and the others rescue the job after DeadAfter.
func (b *beat) halt() {
	if b.stop == nil {
		return // never started, or halted already
	}
	close(b.stop)
	<-b.done
	b.stop = nil
	defer b.drop()
	ctx, cancel := context.WithTimeout(context.Background(), b.opTimeout())
	defer cancel()
	c, err := b.connect(ctx)
	if err == nil {
		_, err = c.Exec(ctx, `DELETE FROM scheduler_heartbeats h WHERE h.client_id = $1
			AND NOT EXISTS (SELECT 1 FROM river_job j
			                WHERE j.state = 'running' AND j.attempted_by[array_upper(j.attempted_by, 1)] = h.client_id)`, b.id)
	}
	if err != nil {
		b.s.log.Warn("could not remove this host's heartbeat row; the other hosts will remove it", "error", err)
	}
}
