package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress shows how a long run goes: on a terminal a bar redrawn in
// place (done/total, rate, ETA), elsewhere a plain line at most every
// `every`, so a log file gets a readable trail instead of control codes.
type progress struct {
	w     io.Writer
	what  string
	tty   bool
	every time.Duration
	now   func() time.Time

	mu          sync.Mutex
	start, last time.Time
	done, total int64
	drawn       bool
	shownDone   int64 // the count of the last line, which finish does not repeat
}

func newProgress(w io.Writer, what string, tty bool) *progress {
	p := &progress{w: w, what: what, tty: tty, every: 2 * time.Second, now: time.Now}
	p.start = p.now()
	return p
}

// update records done of total (total 0: unknown) and shows it when due.
func (p *progress) update(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	now := p.now()
	if !p.tty && p.drawn && now.Sub(p.last) < p.every {
		return
	}
	p.last, p.drawn = now, true
	p.show(now)
}

// tick shows that the run is alive when it reports no counts.
func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !p.tty && now.Sub(p.last) < p.every {
		return
	}
	p.last, p.drawn = now, true
	p.show(now)
}

// finish draws the final state and ends the line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty || p.done > 0 && p.done != p.shownDone {
		p.show(p.now())
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) show(now time.Time) {
	line := p.line(now)
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		return
	}
	p.shownDone = p.done
	fmt.Fprintln(p.w, line)
}

// line renders "what [bar] done/total pct rate ETA"; the bar only on a
// terminal.
func (p *progress) line(now time.Time) string {
	elapsed := now.Sub(p.start)
	var b strings.Builder
	b.WriteString(p.what)
	if p.done == 0 && p.total == 0 {
		fmt.Fprintf(&b, ": running for %s", elapsed.Truncate(time.Second))
		return b.String()
	}
	b.WriteString(": ")
	if p.tty && p.total > 0 {
		const width = 30
		filled := int(min(p.done, p.total) * width / p.total)
		b.WriteString("[" + strings.Repeat("█", filled) + strings.Repeat("░", width-filled) + "] ")
	}
	if p.total > 0 {
		fmt.Fprintf(&b, "%d/%d (%d%%)", p.done, p.total, min(p.done, p.total)*100/p.total)
	} else {
		fmt.Fprintf(&b, "%d done", p.done)
	}
	if s := elapsed.Seconds(); s > 0 && p.done > 0 {
		rate := float64(p.done) / s
		fmt.Fprintf(&b, ", %.0f/s", rate)
		if p.total > p.done {
			eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
			fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
		}
	}
	return b.String()
}
