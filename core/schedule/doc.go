// Package schedule runs the host's durable jobs on River, in the same
// database as core/state: job kinds per flow with typed arguments, unique
// order imports, coalesced stock and product pushes, retries with back-off,
// a per-link concurrency limit, periodic schedules, quarantine for jobs that
// exhaust their attempts, and transactional enqueueing so that a state change
// and the job it causes commit together.
//
// On PostgreSQL several hosts share the queue. Each scheduler writes a
// heartbeat row (table scheduler_heartbeats, the database's clock) under its
// River client id, and every scheduler sweeps: the running jobs of a client
// whose heartbeat is older than Options.DeadAfter are made available to the
// live hosts, whatever their timeout, so a host killed in the middle of a
// six-hour reconciliation blocks nothing for more than about DeadAfter.
//
// For a connector swap the host drains a link (Drain, Resume): its new jobs
// are held in the queue at no cost, its item jobs in flight finish, and
// with CancelLongJobs its pulls and reconciliations stop at once and run
// again after Resume without spending an attempt.
//
// Flows stay plain Go: the host registers one handler per kind with Handle,
// and a handler receives a Job with the raw JSON arguments.
package schedule
