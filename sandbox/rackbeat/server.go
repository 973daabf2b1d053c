package rackbeat

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/delivery"
	"github.com/shopbridge/shopbridge/sandbox/faults"
)

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	Catalog *catalog.Catalog // seeds products, groups, locations and stock; nil: an empty account
	// Tokens are the accepted API keys; none given: one is derived from Seed (see Server.Tokens).
	Tokens []string
	// RequestsPerMinute per token, default 480; negative disables the limit.
	RequestsPerMinute int
	Seed              int64            // for the fault injector, webhook tokens and generated API key
	Now               func() time.Time // clock for timestamps and the rate limit; default time.Now
	// Prerequisites creates what the Shopbox seed asks a user to create by hand:
	// the custom fields "Shopbox UID felt ID" and "Shopbox variasjonsfelt ID" and
	// the shipping product "frakt" in a group without stock.
	Prerequisites bool
	AccountID     int              // Rackbeat-Account-Id in webhooks, default 1
	Delivery      delivery.Options // webhook retries and timeouts
}

// Server is the Rackbeat sandbox: an http.Handler serving /api/ and /_sandbox/.
type Server struct {
	opts   Options
	now    func() time.Time
	tokens []string
	faults *faults.Injector
	sender *delivery.Sender
	api    http.Handler
	mux    *http.ServeMux
	ctrl   http.Handler

	mu       sync.RWMutex
	st       *State
	products map[string]*Product
	lots     map[string]*Lot
	orders   map[int]*Order
	rng      *rand.Rand // webhook tokens; guarded by mu

	rlMu    sync.Mutex
	buckets map[string]*bucket

	reqMu    sync.Mutex
	requests map[string]int // by "METHOD path"
	reqTotal int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New builds a server seeded from opts.Catalog.
func New(opts Options) *Server {
	if opts.RequestsPerMinute == 0 {
		opts.RequestsPerMinute = 480
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AccountID == 0 {
		opts.AccountID = 1
	}
	s := &Server{
		opts:     opts,
		now:      opts.Now,
		faults:   faults.New(opts.Seed),
		sender:   delivery.NewSender(opts.Delivery),
		rng:      rand.New(rand.NewPCG(uint64(opts.Seed), 0x7ac6bea7)),
		buckets:  map[string]*bucket{},
		requests: map[string]int{},
	}
	s.tokens = append([]string(nil), opts.Tokens...)
	if len(s.tokens) == 0 {
		s.tokens = []string{"rb_sandbox_" + s.randomToken(24)}
	}
	s.setState(seedState(opts.Catalog, s.now().UTC().Truncate(time.Second), opts.Prerequisites, opts.AccountID))
	s.mux = s.routes()
	s.api = s.faults.Middleware(http.HandlerFunc(s.serveAPI))
	s.ctrl = s.controlRoutes()
	return s
}

// Tokens are the API keys the server accepts.
func (s *Server) Tokens() []string { return append([]string(nil), s.tokens...) }

// Faults is the fault injector in front of /api/.
func (s *Server) Faults() *faults.Injector { return s.faults }

// Deliveries are the webhook delivery attempts so far.
func (s *Server) Deliveries() []delivery.Attempt { return s.sender.Log() }

// FlushWebhooks waits until every webhook so far is delivered or given up.
func (s *Server) FlushWebhooks(ctx context.Context) error { return s.sender.Flush(ctx) }

// Close stops webhook delivery.
func (s *Server) Close() { s.sender.Close() }

// RequestCount is the number of requests to /api/ so far.
func (s *Server) RequestCount() int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return s.reqTotal
}

// RequestCounts are the requests to /api/ so far by path (as sent, still
// escaped, without the query), all methods together.
func (s *Server) RequestCounts() map[string]int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		_, path, _ := strings.Cut(k, " ")
		out[path] += v
	}
	return out
}

// RequestCountsByRoute are the requests to /api/ so far by "METHOD path".
func (s *Server) RequestCountsByRoute() map[string]int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make(map[string]int, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// ResetRequestCounts zeroes the request counts.
func (s *Server) ResetRequestCounts() {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	s.requests = map[string]int{}
	s.reqTotal = 0
}

func (s *Server) randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x7ac6bea7))
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// setState installs st and rebuilds the indexes; callers hold mu or own s.
func (s *Server) setState(st *State) {
	if st.Stock == nil {
		st.Stock = map[string]map[int]int{}
	}
	s.st = st
	s.products = make(map[string]*Product, len(st.Products))
	for _, p := range st.Products {
		s.products[p.Number] = p
	}
	s.lots = make(map[string]*Lot, len(st.Lots))
	for _, l := range st.Lots {
		s.lots[l.Number] = l
	}
	s.orders = make(map[int]*Order, len(st.Orders))
	for _, o := range st.Orders {
		s.orders[o.Number] = o
	}
}

// ServeHTTP routes /_sandbox/ to the control API and everything else through
// faults, auth and the rate limit to the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, faults.ControlPrefix) {
		s.ctrl.ServeHTTP(w, r)
		return
	}
	s.reqMu.Lock()
	s.requests[r.Method+" "+r.URL.EscapedPath()]++
	s.reqTotal++
	s.reqMu.Unlock()
	s.api.ServeHTTP(w, r)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not found. The Rackbeat API lives under /api/."})
		return
	}
	token, ok := s.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthenticated."})
		return
	}
	if !s.allow(w, token) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authenticate(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	got := strings.TrimSpace(h[len(prefix):])
	for _, t := range s.tokens {
		if subtle.ConstantTimeCompare([]byte(got), []byte(t)) == 1 {
			return t, true
		}
	}
	return "", false
}

// allow charges one request to token's bucket, or answers 429.
func (s *Server) allow(w http.ResponseWriter, token string) bool {
	limit := s.opts.RequestsPerMinute
	if limit < 0 {
		return true
	}
	rate := float64(limit) / 60 // per second
	now := s.now()
	s.rlMu.Lock()
	b := s.buckets[token]
	if b == nil {
		b = &bucket{tokens: float64(limit), last: now}
		s.buckets[token] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(limit), b.tokens+el*rate)
		b.last = now
	}
	ok := b.tokens >= 1
	if ok {
		b.tokens--
	}
	remaining, need := int(b.tokens), 1-b.tokens
	s.rlMu.Unlock()
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
	if ok {
		return true
	}
	retry := max(int(math.Ceil(need/rate)), 1)
	w.Header().Set("Retry-After", strconv.Itoa(retry))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
	return false
}

// emitLocked queues a webhook for every active subscription to event; the
// sender never blocks, so this is safe under mu.
func (s *Server) emitLocked(event, key string, data any, extra map[string]any) {
	var hooks []*Webhook
	for _, h := range s.st.Webhooks {
		if h.IsActive && h.Event == event {
			hooks = append(hooks, h)
		}
	}
	if len(hooks) == 0 {
		return
	}
	payload := map[string]any{"key": key, "key_name": "number", "event": event, "data": data}
	for k, v := range extra {
		payload[k] = v
	}
	body, err := jsonMarshal(payload)
	if err != nil {
		panic(fmt.Sprintf("rackbeat sandbox: webhook body for %s: %v", event, err))
	}
	for _, h := range hooks {
		hdr := http.Header{}
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Rackbeat-Webhook-Token", h.Token)
		hdr.Set("Rackbeat-Webhook-Event", event)
		hdr.Set("Rackbeat-Account-Id", strconv.Itoa(s.st.AccountID))
		s.sender.Send(h.URL, hdr, body)
	}
}

func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }
