package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Driver names accepted in Options.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// ErrNotFound is returned by operations that change a row that does not exist.
var ErrNotFound = errors.New("state: not found")

// Options say which database to open.
type Options struct {
	// Driver is "sqlite" (the default when empty) or "postgres".
	Driver string
	// Path is the SQLite database file; it is created if missing.
	Path string
	// DSN is the PostgreSQL connection string (postgres://user:pass@host/db).
	DSN string
	// Logger receives migration and retry messages; nil means no logging.
	Logger hclog.Logger
	// SecretKey overrides the SHOPBRIDGE_STATE_KEY environment variable: 32
	// bytes used with AES-256-GCM to encrypt secrets at rest.
	SecretKey []byte
	// BusyTimeout is how long SQLite waits for a lock held by another process
	// before reporting SQLITE_BUSY (default 10 s).
	BusyTimeout time.Duration
}

// DB is an open store. It is safe for concurrent use.
type DB struct {
	driver string
	log    hclog.Logger
	sqlDB  *sql.DB
	pool   *pgxpool.Pool
	key    []byte
	keyErr error
}

// Open connects to the database named by opts and applies any migration not
// yet recorded in schema_migrations.
func Open(ctx context.Context, opts Options) (*DB, error) {
	logger := opts.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	db := &DB{driver: opts.Driver, log: logger.Named("state")}
	if db.driver == "" {
		db.driver = DriverSQLite
	}
	db.key, db.keyErr = secretKey(opts.SecretKey)

	switch db.driver {
	case DriverSQLite:
		if opts.Path == "" {
			return nil, errors.New("state: sqlite needs a file path (state.path in the config)")
		}
		busy := opts.BusyTimeout
		if busy <= 0 {
			busy = 10 * time.Second
		}
		sqlDB, err := sql.Open("sqlite", sqliteDSN(opts.Path, busy))
		if err != nil {
			return nil, fmt.Errorf("state: open sqlite %s: %w", opts.Path, err)
		}
		// One connection for everything: River's SQLite driver needs it, and
		// it makes SQLite's single writer explicit instead of a source of
		// SQLITE_BUSY between our own connections.
		sqlDB.SetMaxOpenConns(1)
		sqlDB.SetMaxIdleConns(1)
		sqlDB.SetConnMaxLifetime(0)
		sqlDB.SetConnMaxIdleTime(0)
		if err := sqlDB.PingContext(ctx); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("state: open sqlite %s (check the directory exists and is writable): %w", opts.Path, err)
		}
		db.sqlDB = sqlDB
	case DriverPostgres:
		if opts.DSN == "" {
			return nil, errors.New("state: postgres needs a DSN (state.dsn in the config)")
		}
		cfg, err := pgxpool.ParseConfig(opts.DSN)
		if err != nil {
			return nil, fmt.Errorf("state: parse postgres DSN: %w", redactDSNError(err))
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("state: connect to postgres: %w", redactDSNError(err))
		}
		if err := pool.Ping(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("state: connect to postgres at %s (is it running, are the credentials right?): %w", cfg.ConnConfig.Host, redactDSNError(err))
		}
		db.pool = pool
	default:
		return nil, fmt.Errorf("state: unknown driver %q: use %q or %q", opts.Driver, DriverSQLite, DriverPostgres)
	}

	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func sqliteDSN(path string, busy time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never
	// fails half-way when it upgrades from reading to writing while another
	// process (the CLI beside a running host) holds the lock.
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// redactDSNError keeps a password that pgx may echo out of error messages.
func redactDSNError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string (details withheld: it may contain a password)")
	}
	return err
}

// Close releases the database. Jobs and servers using it must stop first.
func (db *DB) Close() {
	if db.sqlDB != nil {
		db.sqlDB.Close()
	}
	if db.pool != nil {
		db.pool.Close()
	}
}

// Driver returns "sqlite" or "postgres".
func (db *DB) Driver() string { return db.driver }

// SQLDB returns the SQLite *sql.DB (nil on PostgreSQL), for River's
// riversqlite driver. Its single connection is shared with the store.
func (db *DB) SQLDB() *sql.DB { return db.sqlDB }

// PgxPool returns the PostgreSQL pool (nil on SQLite), for River's riverpgxv5
// driver.
func (db *DB) PgxPool() *pgxpool.Pool { return db.pool }

// Tx is one database transaction. Its methods are the store's operations; it
// must not be used after the function given to InTx returns.
type Tx struct {
	ctx   context.Context
	db    *DB
	q     querier
	sqlTx *sql.Tx
	pgTx  pgx.Tx
}

// Driver returns "sqlite" or "postgres".
func (tx *Tx) Driver() string { return tx.db.driver }

// SQLTx returns the underlying *sql.Tx on SQLite (nil on PostgreSQL), for
// River's transactional insert.
func (tx *Tx) SQLTx() *sql.Tx { return tx.sqlTx }

// PgxTx returns the underlying pgx.Tx on PostgreSQL (nil on SQLite), for
// River's transactional insert.
func (tx *Tx) PgxTx() pgx.Tx { return tx.pgTx }

// Context returns the context the transaction runs under.
func (tx *Tx) Context() context.Context { return tx.ctx }

const maxTxAttempts = 12

// InTx runs fn in a transaction and commits it if fn returns nil. When the
// database reports a transient conflict (SQLITE_BUSY, a PostgreSQL
// serialization failure or deadlock) the whole transaction is rolled back and
// fn runs again, so fn must not have effects outside the transaction.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = db.inTxOnce(ctx, fn)
		if err == nil || !isRetryable(err) || attempt >= maxTxAttempts {
			return err
		}
		backoff := time.Duration(5<<min(attempt, 8)) * time.Millisecond
		backoff = backoff/2 + rand.N(backoff/2+1)
		db.log.Debug("transaction conflict, retrying", "attempt", attempt, "backoff", backoff, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (while retrying after: %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
	}
}

func (db *DB) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx := &Tx{ctx: ctx, db: db}
	switch db.driver {
	case DriverSQLite:
		stx, err := db.sqlDB.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("state: begin transaction: %w", err)
		}
		tx.sqlTx, tx.q = stx, sqliteQuerier{stx}
		defer func() {
			if err != nil {
				_ = stx.Rollback()
			}
		}()
		if err = fn(tx); err != nil {
			return err
		}
		if err = stx.Commit(); err != nil {
			return fmt.Errorf("state: commit: %w", err)
		}
		return nil
	default:
		ptx, err := db.pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("state: begin transaction: %w", err)
		}
		tx.pgTx, tx.q = ptx, pgQuerier{ptx}
		defer func() {
			if err != nil {
				_ = ptx.Rollback(context.WithoutCancel(ctx))
			}
		}()
		if err = fn(tx); err != nil {
			return err
		}
		if err = ptx.Commit(ctx); err != nil {
			return fmt.Errorf("state: commit: %w", err)
		}
		return nil
	}
}

// isRetryable says whether err is a transient conflict worth running the
// transaction again for.
func isRetryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// now is the timestamp written by every operation; microseconds are what
// PostgreSQL keeps, so SQLite keeps the same.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
