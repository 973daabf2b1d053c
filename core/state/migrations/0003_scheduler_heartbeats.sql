-- One row per running job scheduler (core/schedule) on a shared PostgreSQL
-- database. client_id is the River client id the scheduler works under, the
-- one River appends to river_job.attempted_by when it takes a job; the
-- scheduler rewrites heartbeat_at with the database's own clock every few
-- seconds. A job still "running" under a client whose heartbeat is older than
-- the scheduler's DeadAfter belongs to a host that died: the other hosts make
-- it available again instead of waiting out its timeout (six hours for
-- reconciliations). On SQLite one host owns the database and the table stays
-- empty; it exists so that both databases have the same schema.
CREATE TABLE scheduler_heartbeats (
    client_id    TEXT PRIMARY KEY,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   {{TIMESTAMP}} NOT NULL,
    heartbeat_at {{TIMESTAMP}} NOT NULL
);
