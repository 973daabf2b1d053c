// Package state is the host's store: links, product and order bindings,
// cursors, quarantine, webhook deliveries seen, the initial-sync record, the
// audit trail, stock writes and encrypted secrets.
//
// One API covers two databases. SQLite (pure Go, modernc.org/sqlite, one file
// in WAL mode) is the embedded default; PostgreSQL (pgx) is for several hosts
// sharing one database. The schema is the same on both and lives in versioned
// migration files applied by Open.
//
// Every operation is a method on *Tx, run inside (*DB).InTx, so that a page of
// records and its cursor, or a webhook's delivery id and the job it causes,
// commit together. *DB carries one-call wrappers for the common case.
//
// On SQLite the store keeps exactly one open connection, as River's SQLite
// driver requires; the consequence for callers is that code running inside
// InTx must use the *Tx it was given and never the *DB, or it waits for itself.
package state
