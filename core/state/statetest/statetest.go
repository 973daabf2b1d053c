// Package statetest gives tests of the store, and of what is built on it, a
// fresh database on every backend: a temporary SQLite file always, and a
// private schema in the PostgreSQL named by SHOPBRIDGE_TEST_POSTGRES_DSN when
// that is set (core/state/testdata/start-postgres.sh prints one).
package statetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"

	"github.com/shopbridge/shopbridge/core/state"
)

// PostgresDSNEnv names the variable that turns on the PostgreSQL runs.
const PostgresDSNEnv = "SHOPBRIDGE_TEST_POSTGRES_DSN"

// Backend is one database to run a test against. Options open the same
// database every time, so a test can close and reopen it.
type Backend struct {
	Name    string
	Options state.Options
}

// TestKey is the secret key the backends use.
var TestKey = []byte("0123456789abcdef0123456789abcdef")

// Backends returns SQLite and, when configured, PostgreSQL, each fresh and
// removed when the test ends.
func Backends(t testing.TB) []Backend {
	t.Helper()
	out := []Backend{{Name: state.DriverSQLite, Options: state.Options{
		Driver:    state.DriverSQLite,
		Path:      filepath.Join(t.TempDir(), "state.db"),
		SecretKey: TestKey,
		Logger:    logger(t),
	}}}
	if dsn := os.Getenv(PostgresDSNEnv); dsn != "" {
		out = append(out, Backend{Name: state.DriverPostgres, Options: state.Options{
			Driver:    state.DriverPostgres,
			DSN:       freshSchema(t, dsn),
			SecretKey: TestKey,
			Logger:    logger(t),
		}})
	}
	return out
}

// Open opens b and closes it when the test ends.
func Open(t testing.TB, b Backend) *state.DB {
	t.Helper()
	db, err := state.Open(context.Background(), b.Options)
	if err != nil {
		t.Fatalf("open %s: %v", b.Name, err)
	}
	t.Cleanup(db.Close)
	return db
}

func logger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Warn, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// freshSchema creates a schema of its own for the test and returns the DSN
// with search_path pointing at it, so parallel tests and packages sharing one
// PostgreSQL never see each other's tables.
func freshSchema(t testing.TB, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresDSNEnv, err)
	}
	defer conn.Close(ctx)
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	schema := "sbtest_" + hex.EncodeToString(buf)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresDSNEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
