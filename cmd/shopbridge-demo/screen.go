package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/core/status"
)

// tty says whether stdout is a terminal; colours and bold only go there, so
// a log file or a test reading the output gets plain lines.
var tty = func() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}()

func paint(code, s string) string {
	if !tty {
		return s
	}
	return "\033[" + code + "m" + s + "\033[0m"
}

func step(s string) { fmt.Println("\n" + paint("1", "▶ "+s)) }

// say prints one line of the demo's own, under its name like the children's.
func say(format string, args ...any) {
	fmt.Printf("%-7s │ %s\n", "demo", fmt.Sprintf(format, args...))
}

// prefixed writes a child's output line by line under its name.
func prefixed(name string) io.Writer { return gated(name, nil) }

// gated is prefixed, except that while g holds, lines wait in g instead of
// cutting through the demo's own steps (the initial sync's progress bar).
func gated(name string, g *gate) io.Writer {
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			if g == nil || !g.hold(sc.Text()) {
				fmt.Printf("%-7s │ %s\n", name, sc.Text())
			}
		}
	}()
	return w
}

// gate holds a child's lines until release.
type gate struct {
	mu       sync.Mutex
	released bool
	held     []string
}

func (g *gate) hold(line string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.released {
		g.held = append(g.held, line)
	}
	return !g.released
}

// release prints what was held under name: the stock moves as one count
// (the host reads Rackbeat's stock when it starts, so they are not lost),
// anything else as it was.
func (g *gate) release(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	moves := 0
	for _, l := range g.held {
		if strings.HasPrefix(l, "rackbeat: stock of ") {
			moves++
			continue
		}
		fmt.Printf("%-7s │ %s\n", name, l)
	}
	if moves > 0 {
		fmt.Printf("%-7s │ (stock moved %d times in Rackbeat before the host started)\n", name, moves)
	}
	g.held, g.released = nil, true
}

// watcher prints one line every few seconds with what has flowed, from the
// host's own /status.json (read-only, as anyone on the machine could), and
// each item that enters quarantine once, with its reason.
type watcher struct {
	base string
	mu   sync.Mutex
	seen map[int64]bool
}

func (w *watcher) fetch(ctx context.Context) *status.Snapshot {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/status.json", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	var s status.Snapshot
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&s) != nil {
		return nil
	}
	return &s
}

func (w *watcher) run(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := w.fetch(ctx)
		if s == nil {
			continue
		}
		w.mu.Lock()
		if w.seen == nil {
			w.seen = map[int64]bool{}
		}
		for _, q := range s.Quarantine.Items {
			if !w.seen[q.ID] {
				w.seen[q.ID] = true
				fmt.Println(paint("33", fmt.Sprintf("⚠ quarantine #%d, link %s, %s %s: %s", q.ID, q.Link, q.Flow, q.Key, q.Reason)))
			}
		}
		w.mu.Unlock()
		fmt.Println(paint("32", fmt.Sprintf("● moved so far — %s; jobs waiting: %d; in quarantine: %d", moved(s), s.QueueTotal, s.Quarantine.Shown)))
	}
}

// moved says per link how many items each flow moved since the host started.
func moved(s *status.Snapshot) string {
	var parts []string
	for _, l := range s.Links {
		var fl []string
		for _, f := range l.Flows {
			if f.ItemsTotal > 0 {
				fl = append(fl, fmt.Sprintf("%s %d", f.Flow, f.ItemsTotal))
			}
		}
		if len(fl) > 0 {
			parts = append(parts, l.ID+": "+strings.Join(fl, ", "))
		}
	}
	if len(parts) == 0 {
		return "nothing yet"
	}
	return strings.Join(parts, " | ")
}

// summarize prints what the run did: what the customers placed, what the
// host moved, and what is left in quarantine and why.
func summarize(p *placed, last *status.Snapshot, running time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("  running state reached %.1fs after the start\n", running.Seconds())
	fmt.Printf("  customers placed %d Shopify orders and %d Shopbox sales", p.shopify, p.shopbox)
	if len(p.bad) > 0 {
		fmt.Printf(", and %d Shopbox sale(s) of %s, which Rackbeat does not have (%s)", len(p.bad), tillOnlySKU, strings.Join(p.bad, ", "))
	}
	fmt.Println()
	if p.shopifyErr+p.boxErr > 0 {
		fmt.Printf("  (%d Shopify orders and %d Shopbox sales could not be placed; the sandbox said why above)\n", p.shopifyErr, p.boxErr)
	}
	if last == nil {
		fmt.Println("  the host's status could not be read at the end")
		return
	}
	fmt.Printf("  the host moved: %s\n", moved(last))
	fmt.Printf("  in quarantine at the end: %d\n", last.Quarantine.Shown)
	for _, q := range last.Quarantine.Items {
		fmt.Printf("    #%d link %s, %s %s: %s\n", q.ID, q.Link, q.Flow, q.Key, q.Reason)
	}
}
