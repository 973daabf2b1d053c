package schedule

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/shopbridge/shopbridge/core/state"
)

// Options tune the scheduler; zero values take the defaults in brackets.
type Options struct {
	// Workers is how many jobs run at once on this host [10].
	Workers int
	// PerLinkConcurrency caps the jobs of one link running at once on this
	// host, so one busy link cannot starve the others [2]. Negative: no cap.
	PerLinkConcurrency int
	// MaxAttempts is how often a job is tried before it goes to quarantine [10].
	MaxAttempts int
	// RetryBackoff gives the wait before attempt n+1 after n failed attempts;
	// nil uses River's default (n⁴ seconds with jitter).
	RetryBackoff func(attempt int) time.Duration
	// JobTimeout bounds one attempt of an item job (orders.import,
	// products.push, stock.push) [5 min]; LongJobTimeout bounds pulls,
	// reconciliations and the initial sync [6 h].
	JobTimeout     time.Duration
	LongJobTimeout time.Duration
	// RescueAfter is River's own last resort: a job that still looks
	// running this long after its timeout is retried by any host
	// [JobTimeout + 1 min]. On PostgreSQL the heartbeats below normally
	// rescue a dead host's jobs long before; RescueAfter still covers jobs
	// of a host that never wrote a heartbeat (DeadAfter < 0, or an older
	// version during a rolling upgrade).
	RescueAfter time.Duration
	// DeadAfter is how long a scheduler on PostgreSQL may go without
	// writing its heartbeat before the other hosts take it for dead and
	// make the jobs it was running available again, whatever their timeout
	// [30 s]. Without it a host killed during a reconciliation would block
	// that link's reconciliations for LongJobTimeout. It is long enough
	// that a garbage-collection pause, a slow query or a database restart
	// of a few seconds does not make a live host look dead, and short
	// enough that a dead host's work moves within about a minute. A host
	// that cannot write its heartbeat for DeadAfter/2 cancels its own
	// running jobs (they are retried), so a host cut off from the database
	// does not keep running jobs the others are about to take over. At
	// least 1 s; negative turns heartbeats off and leaves rescues to River
	// (RescueAfter). SQLite ignores it: one host owns the database, and
	// Start makes the jobs of the previous run available again.
	DeadAfter time.Duration
	// HeartbeatEvery is how often the heartbeat is written and the jobs of
	// dead hosts are looked for [DeadAfter/6, i.e. 5 s]. At most
	// DeadAfter/3, so that a heartbeat or two may fail without the host
	// looking dead; a dead host's jobs move after DeadAfter plus up to
	// HeartbeatEvery.
	HeartbeatEvery time.Duration
	// PollInterval is how often workers look for new jobs when the database
	// cannot notify them (SQLite) [200 ms].
	PollInterval time.Duration
	// HoldRecheck is how soon a job of a busy link (all its slots taken) is
	// looked at again [1 s].
	HoldRecheck time.Duration
	// HoldWait is how long a job of a held (draining) link waits before it
	// is looked at again [5 min]. Resume makes the link's held jobs
	// available at once, so this only bounds the wait when Resume never
	// comes (the host stopped mid-swap); it is long so that a held link's
	// queue costs no database writes while the swap runs.
	HoldWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.PerLinkConcurrency == 0 {
		o.PerLinkConcurrency = 2
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 5 * time.Minute
	}
	if o.LongJobTimeout <= 0 {
		o.LongJobTimeout = 6 * time.Hour
	}
	if o.RescueAfter <= o.JobTimeout {
		o.RescueAfter = o.JobTimeout + time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.HoldRecheck <= 0 {
		o.HoldRecheck = time.Second
	}
	if o.HoldWait <= 0 {
		o.HoldWait = 5 * time.Minute
	}
	if o.DeadAfter == 0 {
		o.DeadAfter = 30 * time.Second
	}
	if o.HeartbeatEvery <= 0 {
		o.HeartbeatEvery = o.DeadAfter / 6
	}
	return o
}

func (o Options) check() error {
	if o.DeadAfter < 0 {
		return nil
	}
	if o.DeadAfter < time.Second {
		return fmt.Errorf("schedule: DeadAfter %s is too short: at least 1s, or negative to turn heartbeats off", o.DeadAfter)
	}
	if o.HeartbeatEvery > o.DeadAfter/3 {
		return fmt.Errorf("schedule: HeartbeatEvery %s must be at most a third of DeadAfter (%s), or a live host would look dead after one slow heartbeat", o.HeartbeatEvery, o.DeadAfter)
	}
	return nil
}

// Job is what a handler receives.
type Job struct {
	// ID is River's job id, unique in the database: a forced import can use
	// it as its import id.
	ID   int64
	Kind string
	Link string
	// Key is the item (order id, SKU), empty for link-wide jobs.
	Key string
	// Args is the JSON of the typed arguments (OrdersImport…).
	Args json.RawMessage
	// Attempt counts from 1; MaxAttempts is the last one before quarantine.
	Attempt     int
	MaxAttempts int
}

// HandlerFunc does the work of one job kind.
type HandlerFunc func(ctx context.Context, job Job) error

// Enqueued says what Enqueue did.
type Enqueued struct {
	ID int64
	// Duplicate is true when an equal job was already waiting or running and
	// nothing new was inserted (ID is then the existing job's).
	Duplicate bool
}

// Scheduler runs jobs from the state database.
type Scheduler struct {
	db   *state.DB
	log  hclog.Logger
	opts Options
	rc   riverClient

	// id is the River client id, unique per scheduler run; River writes it
	// to river_job.attempted_by and the heartbeat row carries it.
	id string
	// beat is the heartbeat on PostgreSQL; nil on SQLite or with DeadAfter < 0.
	beat *beat

	mu       sync.Mutex
	handlers map[string]HandlerFunc
	links    map[string]*linkSlots
	// running cancels the jobs running on this host, for fencing.
	running map[uint64]context.CancelCauseFunc
	nextRun uint64
}

// linkSlots is one link's share of this host: jobs running now, and whether
// the link is held for a connector swap.
type linkSlots struct {
	running int
	held    bool
	changed chan struct{} // closed and replaced whenever running or held changes
	// long cancels the link's running long jobs, for Drain's
	// CancelLongJobs; keys come from Scheduler.nextRun.
	long map[uint64]context.CancelCauseFunc
}

// riverClient is the part of River's client the scheduler needs, made
// independent of the transaction type so that SQLite (*sql.Tx) and
// PostgreSQL (pgx.Tx) share the rest of the code.
type riverClient interface {
	// insertTx inserts args; opts may be nil, and its unset fields are
	// taken from the args' own InsertOpts (uniqueness).
	insertTx(ctx context.Context, tx *state.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
	periodic() *river.PeriodicJobBundle
	// snoozed reports the jobs this client snoozed, once each snooze is
	// saved; the channel closes when the client stops.
	snoozed() (<-chan *river.Event, func())
}

type typedClient[TTx any] struct {
	c    *river.Client[TTx]
	txOf func(*state.Tx) TTx
}

func (t typedClient[TTx]) insertTx(ctx context.Context, tx *state.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return t.c.InsertTx(ctx, t.txOf(tx), args, opts)
}
func (t typedClient[TTx]) start(ctx context.Context) error         { return t.c.Start(ctx) }
func (t typedClient[TTx]) stop(ctx context.Context) error          { return t.c.Stop(ctx) }
func (t typedClient[TTx]) stopAndCancel(ctx context.Context) error { return t.c.StopAndCancel(ctx) }
func (t typedClient[TTx]) periodic() *river.PeriodicJobBundle      { return t.c.PeriodicJobs() }
func (t typedClient[TTx]) snoozed() (<-chan *river.Event, func()) {
	return t.c.Subscribe(river.EventKindJobSnoozed)
}

// migrationLockKey serialises River's migrations between hosts starting
// together on PostgreSQL (core/state uses a different key for its own).
const migrationLockKey int64 = 0x73627269766572 // "sbriver"

// New prepares a scheduler on db and brings River's tables up to date. No job
// runs before Start.
func New(db *state.DB, logger hclog.Logger, opts Options) (*Scheduler, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	s := &Scheduler{
		db:       db,
		log:      logger.Named("schedule"),
		opts:     opts.withDefaults(),
		id:       newClientID(),
		handlers: map[string]HandlerFunc{},
		links:    map[string]*linkSlots{},
		running:  map[uint64]context.CancelCauseFunc{},
	}
	if err := s.opts.check(); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &worker[OrdersImport]{s: s})
	river.AddWorker(workers, &worker[OrdersPull]{s: s})
	river.AddWorker(workers, &worker[ProductsPull]{s: s})
	river.AddWorker(workers, &worker[ProductsPush]{s: s})
	river.AddWorker(workers, &worker[StockPush]{s: s})
	river.AddWorker(workers, &worker[StockReconcile]{s: s})
	river.AddWorker(workers, &worker[ProductsReconcile]{s: s})
	river.AddWorker(workers, &worker[InitialSync]{s: s})

	cfg := &river.Config{
		ID:                   s.id,
		Logger:               slogFor(s.log.Named("river")),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.opts.Workers}},
		Workers:              workers,
		MaxAttempts:          s.opts.MaxAttempts,
		JobTimeout:           s.opts.JobTimeout,
		RescueStuckJobsAfter: s.opts.RescueAfter,
		FetchPollInterval:    s.opts.PollInterval,
		// A short cooldown lets freed workers fetch again at once: River's
		// throughput is about Workers per cooldown.
		FetchCooldown: min(s.opts.PollInterval, 10*time.Millisecond),
	}
	if s.opts.RetryBackoff != nil {
		cfg.RetryPolicy = backoffPolicy(s.opts.RetryBackoff)
	}

	ctx := context.Background()
	switch db.Driver() {
	case state.DriverSQLite:
		driver := riversqlite.New(db.SQLDB())
		if err := migrateRiver(ctx, db, driver, func(tx *state.Tx) *sql.Tx { return tx.SQLTx() }); err != nil {
			return nil, err
		}
		c, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, fmt.Errorf("schedule: start River on SQLite: %w", err)
		}
		s.rc = typedClient[*sql.Tx]{c: c, txOf: func(tx *state.Tx) *sql.Tx { return tx.SQLTx() }}
	case state.DriverPostgres:
		driver := riverpgxv5.New(db.PgxPool())
		if err := migrateRiver(ctx, db, driver, func(tx *state.Tx) pgx.Tx { return tx.PgxTx() }); err != nil {
			return nil, err
		}
		c, err := river.NewClient(driver, cfg)
		if err != nil {
			return nil, fmt.Errorf("schedule: start River on PostgreSQL: %w", err)
		}
		s.rc = typedClient[pgx.Tx]{c: c, txOf: func(tx *state.Tx) pgx.Tx { return tx.PgxTx() }}
		if s.opts.DeadAfter > 0 {
			s.beat = newBeat(s, s.id)
		}
	default:
		return nil, fmt.Errorf("schedule: no River driver for state driver %q", db.Driver())
	}
	return s, nil
}

// migrateRiver brings River's tables up to date. On SQLite one transaction
// does it. On PostgreSQL River's migrations must each commit on their own
// (one adds an enum value a later one uses), so a session advisory lock held
// on a separate connection keeps hosts starting together from racing.
func migrateRiver[TTx any](ctx context.Context, db *state.DB, driver riverdriver.Driver[TTx], txOf func(*state.Tx) TTx) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slogFor(hclog.NewNullLogger())})
	if err != nil {
		return fmt.Errorf("schedule: prepare River migrations: %w", err)
	}
	if db.Driver() == state.DriverSQLite {
		err = db.InTx(ctx, func(tx *state.Tx) error {
			// SQLite has one connection, held by this transaction, so the
			// migrations must run inside it; none of River's SQLite
			// migrations depends on an earlier one having committed.
			//lint:ignore SA1019 the batched form is the only one that works on SQLite's single connection
			_, err := m.MigrateTx(ctx, txOf(tx), rivermigrate.DirectionUp, nil)
			return err
		})
	} else {
		err = withPgLock(ctx, db, func() error {
			_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("schedule: apply River's migrations to the %s database: %w", db.Driver(), err)
	}
	return nil
}

func withPgLock(ctx context.Context, db *state.DB, fn func() error) error {
	conn, err := db.PgxPool().Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	}()
	return fn()
}

type backoffPolicy func(attempt int) time.Duration

func (b backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b(job.Attempt))
}

// Handle registers the handler of a job kind, replacing any earlier one. Jobs
// of a kind without a handler fail (and are retried) until one is registered.
func (s *Scheduler) Handle(kind string, fn HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[kind] = fn
}

// Enqueue inserts a job in a transaction of its own.
func (s *Scheduler) Enqueue(ctx context.Context, args Args) (Enqueued, error) {
	var out Enqueued
	err := s.db.InTx(ctx, func(tx *state.Tx) error {
		var err error
		out, err = s.EnqueueTx(ctx, tx, args)
		return err
	})
	return out, err
}

// EnqueueTx inserts a job in tx: it exists if and only if tx commits, so a
// webhook's delivery id and the job it causes are saved together.
func (s *Scheduler) EnqueueTx(ctx context.Context, tx *state.Tx, args Args) (Enqueued, error) {
	if args == nil || args.LinkID() == "" {
		return Enqueued{}, errors.New("schedule: a job needs a link")
	}
	// A job asked to start later is inserted scheduled, so that it waits in
	// the queue rather than in a handler holding a worker and a link slot.
	var opts *river.InsertOpts
	var due time.Time
	if d, ok := args.(delayed); ok && d.startDelay() > 0 {
		due = time.Now().Add(d.startDelay())
		opts = &river.InsertOpts{ScheduledAt: due}
	}
	res, err := s.rc.insertTx(ctx, tx, args, opts)
	if err != nil {
		return Enqueued{}, fmt.Errorf("schedule: enqueue %s for %s/%s: %w", args.Kind(), args.LinkID(), args.JobKey(), err)
	}
	// A request that arrives while an equal job waits is that job's work,
	// provided the job starts late enough for it: a waiting job due before
	// this request's due is pushed back to it, or the request would be
	// served by a pull that cannot yet see its change.
	//
	// A push or pull that arrives while an equal one is running may carry
	// news the running one has already missed (it read the pending set, or
	// the channel past the cursor, before the change): queue one follow-up
	// behind it. Further requests while the follow-up waits coalesce into
	// it. The follow-up may itself have started already (a link runs two
	// jobs at once), so the chain is followed until a job that has not
	// started: stopping at a running follow-up lost the news whenever both
	// running pushes had read the pending set before it arrived. A waiting
	// job that may not be pushed back any further is followed the same way.
	c, coalesces := args.(coalescing)
	for hops := 0; res.UniqueSkippedAsDuplicate; hops++ {
		if res.Job.State != rivertype.JobStateRunning {
			if due.IsZero() || !res.Job.ScheduledAt.Before(due) {
				break
			}
			ok, err := s.postpone(ctx, tx, res.Job, due)
			if err != nil {
				return Enqueued{}, fmt.Errorf("schedule: enqueue %s for %s/%s: push back the waiting job %d: %w", args.Kind(), args.LinkID(), args.JobKey(), res.Job.ID, err)
			}
			if ok {
				break
			}
		}
		if !coalesces {
			break
		}
		if hops == maxFollowUps {
			return Enqueued{}, fmt.Errorf("schedule: enqueue %s for %s/%s: %d follow-ups are all running or due too soon; the link's concurrency and maxPostpone should make that impossible", args.Kind(), args.LinkID(), args.JobKey(), hops)
		}
		res, err = s.rc.insertTx(ctx, tx, c.after(res.Job.ID), opts)
		if err != nil {
			return Enqueued{}, fmt.Errorf("schedule: enqueue follow-up %s for %s/%s: %w", args.Kind(), args.LinkID(), args.JobKey(), err)
		}
	}
	return Enqueued{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// maxFollowUps bounds the walk along a chain of running follow-ups. River
// counts a job as running from the moment a worker takes it, also while it
// waits for one of its link's slots, so a chain is at most as long as the
// workers of every host, plus jobs finished but not yet marked completed.
// Those waiting jobs mean a burst can cost a few pushes that find nothing
// left to do: one cheap read each, against a lost stock move.
const maxFollowUps = 64

// maxPostpone is how long after it was created a waiting job may still be
// pushed back by a delayed request. Without a bound a steady stream of
// requests would keep it waiting for ever: Shopify sends a product webhook
// on every sale, so a busy shop's webhook pull would never run. A request
// that finds the waiting job too old gets a follow-up after it, so under a
// steady stream a pull starts about every maxPostpone.
const maxPostpone = 30 * time.Second

// postpone makes the waiting job start no sooner than due. It reports false,
// changing nothing, when the job has waited maxPostpone already, or has
// started (or ended) since the insert saw it. Only the time changes, not the
// state: River takes an available job only once its scheduled_at has passed
// (as with its own short snoozes), and moves scheduled and retryable jobs to
// the queue when theirs has.
func (s *Scheduler) postpone(ctx context.Context, tx *state.Tx, job *rivertype.JobRow, due time.Time) (bool, error) {
	if time.Since(job.CreatedAt) >= maxPostpone {
		return false, nil
	}
	const waiting = "state IN ('available', 'scheduled', 'retryable')"
	var n int64
	if tx.SQLTx() != nil {
		// SQLite compares River's times as text, so due is written in
		// River's own format; max() keeps a later time another request set.
		res, err := tx.SQLTx().ExecContext(ctx, "UPDATE river_job SET scheduled_at = max(scheduled_at, ?) WHERE id = ? AND "+waiting,
			due.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000"), job.ID)
		if err != nil {
			return false, err
		}
		if n, err = res.RowsAffected(); err != nil {
			return false, err
		}
	} else {
		// A job a worker is taking at this moment is locked: the UPDATE
		// waits for the fetch to commit and then finds it running.
		tag, err := tx.PgxTx().Exec(ctx, "UPDATE river_job SET scheduled_at = GREATEST(scheduled_at, $1) WHERE id = $2 AND "+waiting, due, job.ID)
		if err != nil {
			return false, err
		}
		n = tag.RowsAffected()
	}
	return n == 1, nil
}

// ID is this scheduler's River client id: the name River writes to
// river_job.attempted_by when this host takes a job, and the key of its
// heartbeat row on PostgreSQL.
func (s *Scheduler) ID() string { return s.id }

// Rescued counts the jobs of dead hosts this scheduler made available again
// since it started (always 0 on SQLite).
func (s *Scheduler) Rescued() int64 {
	if s.beat == nil {
		return 0
	}
	return s.beat.rescued.Load()
}

// Start begins working jobs. On SQLite, where one host owns the database,
// jobs left running by a host that died are made available again first, so
// a restart does not wait for River's rescuer. On PostgreSQL the first
// heartbeat is written before any job is taken, and the heartbeats and the
// sweep for dead hosts' jobs run until Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	if s.db.Driver() == state.DriverSQLite {
		var n, held int64
		err := s.db.InTx(ctx, func(tx *state.Tx) error {
			res, err := tx.SQLTx().ExecContext(ctx, "UPDATE river_job SET state = 'available' WHERE state = 'running'")
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil {
				return err
			}
			// Jobs held by a drain the previous run never resumed would
			// otherwise wait out HoldWait.
			held, err = releaseAllHeld(tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("schedule: recover jobs of the previous run: %w", err)
		}
		if n > 0 {
			s.log.Warn("jobs were running when the host last stopped; running them again", "jobs", n)
		}
		if held > 0 {
			s.log.Info("jobs held by a drain the last run did not resume are available again", "jobs", held)
		}
	}
	if s.beat != nil {
		if err := s.beat.start(ctx); err != nil {
			return err
		}
		s.log.Info("heartbeat started", "client_id", s.id, "dead_after", s.opts.DeadAfter, "every", s.opts.HeartbeatEvery)
	}
	// Subscribed before River starts, so no snooze is missed; River closes
	// the channel when it stops, which ends the watch.
	snoozed, unsubscribe := s.rc.snoozed()
	go s.watchHeldSnoozes(snoozed)
	// River stops when its start context ends; the host stops it with Stop.
	if err := s.rc.start(context.WithoutCancel(ctx)); err != nil {
		unsubscribe()
		if s.beat != nil {
			s.beat.halt()
		}
		return fmt.Errorf("schedule: start workers: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones to finish. If ctx ends
// first, running jobs are cancelled (they will be retried) and ctx's error is
// returned.
//
// The heartbeat goes on while jobs finish, so a long job that is draining is
// not taken for a dead host's; it stops after River has, and the host's
// heartbeat row is removed.
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.beat != nil {
		defer s.beat.halt()
	}
	err := s.rc.stop(ctx)
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		hard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.rc.stopAndCancel(hard)
	}
	return fmt.Errorf("schedule: stop: %w", err)
}

// AddPeriodic enqueues a link-wide job of kind every interval, and once when
// the scheduler starts so that a pull catches up on what happened while the
// host was down (uniqueness keeps that from doubling a waiting job). On
// PostgreSQL only the elected leader host enqueues. An earlier schedule of
// the same kind and link is replaced.
func (s *Scheduler) AddPeriodic(kind, link string, every time.Duration) error {
	args, err := ArgsFor(kind, link)
	if err != nil {
		return err
	}
	if every < time.Second {
		return fmt.Errorf("schedule: periodic %s for %s: interval %s is too short (at least 1s)", kind, link, every)
	}
	id := periodicID(kind, link)
	s.rc.periodic().RemoveByID(id)
	_, err = s.rc.periodic().AddSafely(river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil },
		&river.PeriodicJobOpts{ID: id, RunOnStart: true}))
	if err != nil {
		return fmt.Errorf("schedule: periodic %s for %s: %w", kind, link, err)
	}
	return nil
}

// RemovePeriodic stops a periodic schedule added by AddPeriodic.
func (s *Scheduler) RemovePeriodic(kind, link string) {
	s.rc.periodic().RemoveByID(periodicID(kind, link))
}

func periodicID(kind, link string) string { return kind + ":" + link }

// RetryQuarantine re-enqueues a job that went to quarantine and removes the
// item, in one transaction.
func (s *Scheduler) RetryQuarantine(ctx context.Context, id int64) (Enqueued, error) {
	var out Enqueued
	err := s.db.InTx(ctx, func(tx *state.Tx) error {
		it, ok, err := tx.QuarantineItem(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("schedule: quarantine item %d: %w", id, state.ErrNotFound)
		}
		args, err := ArgsFromQuarantine(it.Flow, it.Payload)
		if err != nil {
			return err
		}
		if out, err = s.EnqueueTx(ctx, tx, args); err != nil {
			return err
		}
		return tx.DropQuarantine(id)
	})
	return out, err
}

// waiting are the states of jobs not yet started or waiting to run again.
const waitingStates = "'available', 'scheduled', 'retryable', 'pending'"

// QueueDepth counts waiting jobs per kind (running ones are not counted).
func (s *Scheduler) QueueDepth(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	q := "SELECT kind, COUNT(*) FROM river_job WHERE state IN (" + waitingStates + ") GROUP BY kind"
	err := s.db.InTx(ctx, func(tx *state.Tx) error {
		clear(out)
		scan := func(next func() bool, sc func(...any) error) error {
			for next() {
				var k string
				var n int
				if err := sc(&k, &n); err != nil {
					return err
				}
				out[k] = n
			}
			return nil
		}
		if tx.SQLTx() != nil {
			r, err := tx.SQLTx().QueryContext(ctx, q)
			if err != nil {
				return err
			}
			defer r.Close()
			if err := scan(r.Next, r.Scan); err != nil {
				return err
			}
			return r.Err()
		}
		r, err := tx.PgxTx().Query(ctx, q)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := scan(r.Next, r.Scan); err != nil {
			return err
		}
		return r.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("schedule: count waiting jobs: %w", err)
	}
	return out, nil
}

// track gives a job a context that fencing can cancel.
func (s *Scheduler) track(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	s.mu.Lock()
	s.nextRun++
	n := s.nextRun
	s.running[n] = cancel
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.running, n)
		s.mu.Unlock()
		cancel(nil)
	}
}

// cancelRunning cancels every job running on this host with cause and says
// how many it cancelled; a job already cancelled is not counted again.
func (s *Scheduler) cancelRunning(cause error) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.running)
	for k, cancel := range s.running {
		cancel(cause)
		delete(s.running, k)
	}
	return n
}

// worker adapts River's typed worker to the scheduler's handlers.
type worker[T Args] struct {
	river.WorkerDefaults[T]
	s *Scheduler
}

func (w *worker[T]) Timeout(job *river.Job[T]) time.Duration {
	if longRunning(job.Kind) {
		return w.s.opts.LongJobTimeout
	}
	return w.s.opts.JobTimeout
}

func (w *worker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return w.s.run(ctx, job.JobRow, job.Args)
}

func (s *Scheduler) run(ctx context.Context, row *rivertype.JobRow, args Args) error {
	// The job is registered for fencing before the heartbeat is checked, so
	// a fence that comes between the two still reaches it.
	ctx, untrack := s.track(ctx)
	defer untrack()
	if s.beat != nil && !s.beat.alive() {
		// The other hosts may take this one for dead and rescue the job
		// while it runs here; leave it to them.
		return river.JobSnooze(s.opts.HoldRecheck)
	}
	link := args.LinkID()
	jobCtx, release, err := s.acquire(ctx, link, longRunning(row.Kind))
	// Snoozing does not use up an attempt (River gives it back): the job
	// simply waits.
	if errors.Is(err, errLinkHeld) {
		return s.holdJob(ctx, link)
	}
	if errors.Is(err, errLinkBusy) {
		return river.JobSnooze(s.opts.HoldRecheck)
	}
	if err != nil {
		return err
	}
	defer release()
	ctx = jobCtx
	clearHeld(ctx, row.Metadata)

	s.mu.Lock()
	h := s.handlers[row.Kind]
	s.mu.Unlock()
	job := Job{ID: row.ID, Kind: row.Kind, Link: link, Key: args.JobKey(), Args: json.RawMessage(row.EncodedArgs),
		Attempt: row.Attempt, MaxAttempts: row.MaxAttempts}
	if h == nil {
		err = fmt.Errorf("no handler registered for job kind %s", row.Kind)
	} else {
		err = callHandler(ctx, h, job)
	}
	if err == nil {
		return nil
	}
	if errors.Is(context.Cause(ctx), ErrDrained) {
		// Cancelled by Drain: the job waits, attempt untouched, until the
		// link resumes (on the new connector version), and then starts over
		// from whatever it saved.
		s.log.Info("long job stopped for a connector swap; it runs again when the link resumes",
			"kind", job.Kind, "link", link, "error", err)
		return s.holdJob(ctx, link)
	}

	var ra *retryAfterError
	if errors.As(err, &ra) {
		s.log.Info("job asked to wait", "kind", job.Kind, "link", link, "key", job.Key, "wait", ra.after, "error", err)
		return river.JobSnooze(ra.after)
	}
	var perm *permanentError
	isPerm := errors.As(err, &perm)
	if !isPerm && row.Attempt < row.MaxAttempts {
		s.log.Warn("job failed, will retry", "kind", job.Kind, "link", link, "key", job.Key,
			"attempt", row.Attempt, "max_attempts", row.MaxAttempts, "error", err)
		return err
	}
	reason := fmt.Sprintf("%s failed %d times; fix the cause and retry it from quarantine", job.Kind, row.Attempt)
	if isPerm {
		reason = fmt.Sprintf("%s cannot succeed as it is: fix the cause and retry it from quarantine", job.Kind)
	}
	qid, qerr := s.db.AddQuarantine(context.WithoutCancel(ctx), state.QuarantineItem{
		Link: link, Flow: job.Kind, Key: job.Key, Reason: reason, Payload: row.EncodedArgs, LastError: err.Error(),
	})
	if qerr != nil {
		// Leave the job to River's retries rather than lose it silently.
		s.log.Error("job failed and could not be quarantined", "kind", job.Kind, "link", link, "key", job.Key, "error", err, "quarantine_error", qerr)
		return fmt.Errorf("%w (and quarantine failed: %v)", err, qerr)
	}
	s.log.Error("job gave up, moved to quarantine", "kind", job.Kind, "link", link, "key", job.Key,
		"attempts", row.Attempt, "quarantine_id", qid, "error", err)
	return river.JobCancel(err)
}

func callHandler(ctx context.Context, h HandlerFunc, job Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return h(ctx, job)
}

type retryAfterError struct {
	after time.Duration
	err   error
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter tells the scheduler to run the job again after d without using
// up an attempt: for rate limits and other waits the remote side asked for.
func RetryAfter(d time.Duration, err error) error {
	return &retryAfterError{after: max(d, time.Second), err: err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks an error that no retry can fix (invalid data): the job goes
// to quarantine at once.
func Permanent(err error) error { return &permanentError{err: err} }
