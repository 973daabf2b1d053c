package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Options configure a Sender. Zero values take the defaults noted.
type Options struct {
	Client     *http.Client  // default: a client of its own
	Attempts   int           // total attempts per message, default 8
	Backoff    time.Duration // base delay before the second attempt, doubled each time; default 200ms
	MaxBackoff time.Duration // cap on one delay, default 30s
	Timeout    time.Duration // per attempt, default 5s (Shopify's limit)
	Workers    int           // concurrent deliveries, default 4
	LogLimit   int           // attempts kept in the log (oldest dropped), default 10000
}

// Attempt is one try at delivering one message.
type Attempt struct {
	ID       uint64      `json:"id"` // message id, the same for every attempt of one Send
	URL      string      `json:"url"`
	Header   http.Header `json:"header"`
	Body     []byte      `json:"body"`
	Attempt  int         `json:"attempt"` // 1-based
	Status   int         `json:"status"`  // 0 when the request failed before an answer
	Error    string      `json:"error,omitempty"`
	At       time.Time   `json:"at"`
	Duration time.Duration
	// Final is true for the last attempt of a message: delivered, or given up.
	Final bool `json:"final"`
}

// OK reports whether the attempt was answered with a 2xx status.
func (a Attempt) OK() bool { return a.Status >= 200 && a.Status < 300 }

type message struct {
	id      uint64
	url     string
	header  http.Header
	body    []byte
	attempt int
}

// Sender delivers webhooks in the background. It is safe for concurrent use.
type Sender struct {
	opts Options

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*message
	pending int           // queued + in flight + waiting for a retry
	idle    chan struct{} // closed while pending == 0
	closed  bool
	nextID  uint64
	log     []Attempt
	timers  map[*time.Timer]struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	workers sync.WaitGroup
}

// NewSender starts a sender's workers; call Close to stop them.
func NewSender(opts Options) *Sender {
	if opts.Client == nil {
		opts.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 8
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.LogLimit <= 0 {
		opts.LogLimit = 10000
	}
	s := &Sender{opts: opts, idle: make(chan struct{}), timers: map[*time.Timer]struct{}{}}
	close(s.idle)
	s.cond = sync.NewCond(&s.mu)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for range opts.Workers {
		s.workers.Add(1)
		go s.work()
	}
	return s
}

// Send queues body for delivery to url and returns at once. Headers are copied;
// Content-Type defaults to application/json. After Close it does nothing.
func (s *Sender) Send(url string, headers http.Header, body []byte) {
	s.Enqueue(url, headers, body)
}

// Enqueue is Send that also returns the message id the log's attempts carry
// (0 when the sender is closed).
func (s *Sender) Enqueue(url string, headers http.Header, body []byte) uint64 {
	h := headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	s.nextID++
	s.enqueueLocked(&message{id: s.nextID, url: url, header: h, body: bytes.Clone(body), attempt: 1}, true)
	return s.nextID
}

func (s *Sender) enqueueLocked(m *message, fresh bool) {
	if fresh {
		if s.pending == 0 {
			s.idle = make(chan struct{})
		}
		s.pending++
	}
	s.queue = append(s.queue, m)
	s.cond.Signal()
}

func (s *Sender) doneLocked() {
	s.pending--
	if s.pending == 0 {
		close(s.idle)
	}
}

func (s *Sender) work() {
	defer s.workers.Done()
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		m := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.deliver(m)
	}
}

func (s *Sender) deliver(m *message) {
	start := time.Now()
	status, err := s.post(m)
	a := Attempt{ID: m.id, URL: m.url, Header: m.header, Body: m.body, Attempt: m.attempt, Status: status,
		At: start, Duration: time.Since(start)}
	if err != nil {
		a.Error = err.Error()
	}
	ok := err == nil && a.OK()
	last := ok || m.attempt >= s.opts.Attempts
	a.Final = last

	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, a)
	if over := len(s.log) - s.opts.LogLimit; over > 0 {
		s.log = append(s.log[:0:0], s.log[over:]...)
	}
	if last || s.closed {
		s.doneLocked()
		return
	}
	next := &message{id: m.id, url: m.url, header: m.header, body: m.body, attempt: m.attempt + 1}
	var t *time.Timer
	t = time.AfterFunc(s.delay(m.attempt), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.timers, t)
		if s.closed {
			s.doneLocked()
			return
		}
		s.enqueueLocked(next, false)
	})
	s.timers[t] = struct{}{}
}

// delay is the wait after the given failed attempt: Backoff·2^(attempt−1), capped.
func (s *Sender) delay(attempt int) time.Duration {
	d := s.opts.Backoff
	for i := 1; i < attempt && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.opts.MaxBackoff)
}

func (s *Sender) post(m *message) (int, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url, bytes.NewReader(m.body))
	if err != nil {
		return 0, fmt.Errorf("webhook request to %s: %w", m.url, err)
	}
	req.Header = m.header.Clone()
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("webhook delivery to %s: %w", m.url, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// Flush waits until every message sent so far is delivered or given up,
// including those waiting for a retry.
func (s *Sender) Flush(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle, closed := s.idle, s.closed
		s.mu.Unlock()
		if closed {
			return errors.New("webhook sender is closed")
		}
		select {
		case <-idle:
			// A send racing with the close of idle starts a new busy period.
			s.mu.Lock()
			done := s.pending == 0
			s.mu.Unlock()
			if done {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for webhook deliveries: %w", ctx.Err())
		}
	}
}

// Close stops the workers and abandons queued messages and retries.
func (s *Sender) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for t := range s.timers {
		if t.Stop() {
			s.doneLocked()
		}
		delete(s.timers, t)
	}
	for range s.queue {
		s.doneLocked()
	}
	s.queue = nil
	s.cond.Broadcast()
	s.mu.Unlock()
	s.cancel()
	s.workers.Wait()
}

// Log returns a copy of the attempts made so far, oldest first.
func (s *Sender) Log() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.log...)
}

// Pending is the number of messages not yet delivered or given up.
func (s *Sender) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}
