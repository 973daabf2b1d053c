package schedule

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/shopbridge/shopbridge/core/state"
)

// This file is how a link is held for a connector swap: Drain holds the
// link's new jobs and waits for (or cancels) the running ones, Resume lets
// them run again.
//
// A held job is snoozed for HoldWait (minutes) rather than looked at every
// HoldRecheck, so a held link's queue costs no database writes while the
// swap runs; on SQLite every such write would compete with the other links'
// work for the single connection. The snooze records the link in the job's
// metadata (heldKey), and Resume makes exactly those jobs available again
// with one UPDATE. A job whose snooze River saves only after that UPDATE
// (River's completer writes in batches, up to a quarter second late) is
// caught when River reports the saved snooze: its link is no longer held,
// so it is made available on its own.

// ErrDrained is the cause with which Drain, given CancelLongJobs, cancels a
// link's running long jobs. Such a job spends no attempt: it waits in the
// queue and runs again after Resume. A handler sees it through
// context.Cause(ctx).
var ErrDrained = errors.New("schedule: the link is drained for a connector swap; the job runs again when the link resumes")

// heldKey is the job metadata key under which a held job's snooze records
// its link. It is cleared (null) when the job next ends otherwise, so a
// later snooze of the same job (a rate limit) is not taken for a hold.
const heldKey = "shopbridge_held"

// DrainOption changes what Drain does with the link's running jobs.
type DrainOption func(*drainOptions)

type drainOptions struct {
	cancelLong bool
}

// CancelLongJobs makes Drain cancel the link's running long jobs (pulls,
// reconciliations, the initial sync) with cause ErrDrained instead of
// waiting up to LongJobTimeout for them; they run again after Resume. Item
// jobs (imports, pushes) are still waited for: they are short, and one cut
// off between its remote write and its record would be written twice.
func CancelLongJobs() DrainOption {
	return func(o *drainOptions) { o.cancelLong = true }
}

// Drain holds new jobs of link on this host and waits until none of its jobs
// runs here; held jobs wait in the queue, nothing is lost. Call Resume when
// the link is open again (also after Drain fails).
func (s *Scheduler) Drain(ctx context.Context, link string, opts ...DrainOption) error {
	var o drainOptions
	for _, opt := range opts {
		opt(&o)
	}
	s.mu.Lock()
	ls := s.slots(link)
	if !ls.held {
		ls.held = true
		ls.notify()
	}
	if o.cancelLong {
		// Held first, under the same lock: a long job that has not taken
		// its slot yet will find the link held and never start.
		for k, cancel := range ls.long {
			cancel(ErrDrained)
			delete(ls.long, k)
		}
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		if ls.running == 0 {
			s.mu.Unlock()
			return nil
		}
		ch := ls.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("schedule: drain link %s: jobs still running: %w", link, ctx.Err())
		}
	}
}

// Resume lets a drained link's jobs run again: the jobs held while it was
// drained are made available at once. If that fails (the database is
// unreachable) it is logged, and they run after HoldWait.
func (s *Scheduler) Resume(link string) {
	s.mu.Lock()
	ls := s.slots(link)
	ls.held = false
	ls.notify()
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := s.releaseHeld(ctx, link, 0)
	if err != nil {
		s.log.Warn("link resumed, but its held jobs could not be made available; they run after the hold wait",
			"link", link, "hold_wait", s.opts.HoldWait, "error", err)
		return
	}
	if n > 0 {
		s.log.Debug("held jobs made available", "link", link, "jobs", n)
	}
}

// releaseHeld makes the held jobs of link available now: all of them, or
// only job id when id > 0.
func (s *Scheduler) releaseHeld(ctx context.Context, link string, id int64) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *state.Tx) error {
		if tx.SQLTx() != nil {
			// The state column leads River's fetch index, so only the
			// scheduled jobs are read.
			q := "UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') " +
				"WHERE state = 'scheduled' AND json_extract(metadata, '$." + heldKey + "') = ?"
			args := []any{link}
			if id > 0 {
				q += " AND id = ?"
				args = append(args, id)
			}
			res, err := tx.SQLTx().ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		}
		// River's GIN index on metadata serves the containment test.
		marker, err := json.Marshal(map[string]string{heldKey: link})
		if err != nil {
			return err
		}
		q := "UPDATE river_job SET state = 'available', scheduled_at = now() " +
			"WHERE state = 'scheduled' AND metadata @> $1::jsonb"
		args := []any{string(marker)}
		if id > 0 {
			q += " AND id = $2"
			args = append(args, id)
		}
		tag, err := tx.PgxTx().Exec(ctx, q, args...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("schedule: make the held jobs of link %s available: %w", link, err)
	}
	return n, nil
}

// releaseAllHeld makes every held job available, for a host starting on
// SQLite: holds belong to the run that made them.
func releaseAllHeld(tx *state.Tx) (int64, error) {
	res, err := tx.SQLTx().ExecContext(tx.Context(), "UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') "+
		"WHERE state = 'scheduled' AND json_extract(metadata, '$."+heldKey+"') IS NOT NULL")
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// watchHeldSnoozes catches held jobs whose snooze was saved after Resume's
// UPDATE. It ends when River stops and closes events.
func (s *Scheduler) watchHeldSnoozes(events <-chan *river.Event) {
	for ev := range events {
		if ev == nil || ev.Job == nil {
			continue
		}
		var meta map[string]any
		if err := json.Unmarshal(ev.Job.Metadata, &meta); err != nil {
			continue
		}
		link, ok := meta[heldKey].(string)
		if !ok || link == "" {
			continue
		}
		s.mu.Lock()
		held := s.slots(link).held
		s.mu.Unlock()
		if held {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := s.releaseHeld(ctx, link, ev.Job.ID); err != nil {
			s.log.Warn("a job held during a drain could not be made available; it runs after the hold wait",
				"link", link, "job_id", ev.Job.ID, "hold_wait", s.opts.HoldWait, "error", err)
		}
		cancel()
	}
}

// holdJob snoozes a job of a held link until Resume, marking it as held.
func (s *Scheduler) holdJob(ctx context.Context, link string) error {
	if err := river.MetadataSet(ctx, heldKey, link); err != nil {
		// Without the mark Resume cannot find the job; look again soon.
		return river.JobSnooze(s.opts.HoldRecheck)
	}
	return river.JobSnooze(s.opts.HoldWait)
}

// clearHeld removes the hold mark of a job that ends otherwise.
func clearHeld(ctx context.Context, metadata []byte) {
	if !bytes.Contains(metadata, []byte(heldKey)) {
		return
	}
	var meta map[string]json.RawMessage
	if json.Unmarshal(metadata, &meta) != nil {
		return
	}
	if v, ok := meta[heldKey]; ok && string(v) != "null" {
		_ = river.MetadataSet(ctx, heldKey, nil)
	}
}

// slots returns the link's slots; s.mu must be held.
func (s *Scheduler) slots(link string) *linkSlots {
	ls := s.links[link]
	if ls == nil {
		ls = &linkSlots{changed: make(chan struct{}), long: map[uint64]context.CancelCauseFunc{}}
		s.links[link] = ls
	}
	return ls
}

func (ls *linkSlots) notify() {
	close(ls.changed)
	ls.changed = make(chan struct{})
}

var errLinkBusy = errors.New("link busy")
var errLinkHeld = errors.New("link held")

// acquire takes one of the link's slots, waiting up to HoldRecheck. A long
// job's context is returned cancellable by Drain: it is registered under
// the same lock that checks the hold, so Drain cannot miss it.
func (s *Scheduler) acquire(ctx context.Context, link string, long bool) (context.Context, func(), error) {
	timer := time.NewTimer(s.opts.HoldRecheck)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ls := s.slots(link)
		if ls.held {
			s.mu.Unlock()
			return nil, nil, errLinkHeld
		}
		if s.opts.PerLinkConcurrency < 0 || ls.running < s.opts.PerLinkConcurrency {
			ls.running++
			ls.notify()
			var key uint64
			cancel := func(error) {}
			if long {
				ctx, cancel = context.WithCancelCause(ctx)
				s.nextRun++
				key = s.nextRun
				ls.long[key] = cancel
			}
			s.mu.Unlock()
			return ctx, func() {
				s.mu.Lock()
				delete(ls.long, key)
				ls.running--
				ls.notify()
				s.mu.Unlock()
				cancel(nil)
			}, nil
		}
		ch := ls.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return nil, nil, errLinkBusy
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}
