package state

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("state: migration file %q must be named NNNN_what.sql", name)
		}
		body, err := migrationFS.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("state: two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// migrationLockKey is the PostgreSQL advisory lock that makes hosts starting
// together apply migrations one at a time ("shopbridge" in ASCII, truncated).
const migrationLockKey int64 = 0x73686f7062726964

// migrate applies, in one transaction, every migration not yet recorded. On
// PostgreSQL a transaction-scoped advisory lock serialises concurrent hosts;
// on SQLite the transaction's immediate write lock does the same.
func (db *DB) migrate(ctx context.Context) error {
	migs, err := loadMigrations()
	if err != nil {
		return err
	}
	types := migrationTypes(db.driver)
	err = db.InTx(ctx, func(tx *Tx) error {
		if db.driver == DriverPostgres {
			if _, err := tx.q.exec(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockKey); err != nil {
				return fmt.Errorf("take the migration lock: %w", err)
			}
		}
		if _, err := tx.q.exec(ctx, types.Replace(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at {{TIMESTAMP}} NOT NULL)`)); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		applied := map[int]bool{}
		r, err := tx.q.query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		for r.Next() {
			var v int
			if err := r.Scan(&v); err != nil {
				r.Close()
				return err
			}
			applied[v] = true
		}
		r.Close()
		if err := r.Err(); err != nil {
			return err
		}
		for _, m := range migs {
			if applied[m.version] {
				continue
			}
			for _, stmt := range splitStatements(types.Replace(m.sql)) {
				if _, err := tx.q.exec(ctx, stmt); err != nil {
					return fmt.Errorf("apply migration %s: %w", m.name, err)
				}
			}
			if _, err := tx.q.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name, now()); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
			db.log.Info("applied migration", "name", m.name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state: migrate the %s database: %w", db.driver, err)
	}
	return nil
}

// splitStatements splits a migration file at semicolons that end a line,
// dropping comment-only lines; migration files keep one statement per
// semicolon-terminated block.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
