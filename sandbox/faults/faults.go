package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault kinds as reported by Counts.
const (
	KindError     = "error"
	KindRateLimit = "rate_limit"
	KindLatency   = "latency"
	KindDrop      = "drop"
	KindDropAfter = "drop_after"
	KindMalformed = "malformed"
	KindTruncate  = "truncate"
)

// ControlPrefix is never faulted, so tests can always reach the control API.
const ControlPrefix = "/_sandbox/"

// Rule describes the faults for requests whose path starts with Path. When
// several rules match, the one with the longest Path wins. The rates are
// fractions of matching requests and are drawn in the order drop, drop_after,
// error, rate limit, malformed, truncate; their sum should not exceed 1.
type Rule struct {
	Path              string        `json:"path"`
	ErrorRate         float64       `json:"error_rate"`
	RateLimitRate     float64       `json:"rate_limit_rate"`
	RetryAfterSeconds int           `json:"retry_after_seconds"`
	Latency           time.Duration `json:"latency"`
	DropRate          float64       `json:"drop_rate"`
	MalformedRate     float64       `json:"malformed_rate"`
	TruncateRate      float64       `json:"truncate_rate"`

	// Method limits the rule to one HTTP method ("" = any).
	Method string `json:"method,omitempty"`
	// DropAfterRate is the fraction of requests that are handled (their side
	// effects happen) and whose answer is then lost by closing the connection:
	// the case that tests exactly-once behaviour of a client's retries.
	DropAfterRate float64 `json:"drop_after_rate,omitempty"`
	// Times caps how many faults (latency excluded) the rule injects before it
	// goes quiet; 0 means no cap. Rate 1 with Times 3 fails exactly the next three requests.
	Times int `json:"times,omitempty"`
}

// ruleJSON carries Latency as a Go duration string ("250ms").
type ruleJSON struct {
	Path              string          `json:"path"`
	Method            string          `json:"method,omitempty"`
	ErrorRate         float64         `json:"error_rate"`
	RateLimitRate     float64         `json:"rate_limit_rate"`
	RetryAfterSeconds int             `json:"retry_after_seconds"`
	Latency           json.RawMessage `json:"latency,omitempty"`
	DropRate          float64         `json:"drop_rate"`
	DropAfterRate     float64         `json:"drop_after_rate,omitempty"`
	MalformedRate     float64         `json:"malformed_rate"`
	TruncateRate      float64         `json:"truncate_rate"`
	Times             int             `json:"times,omitempty"`
}

// MarshalJSON writes Latency as a duration string.
func (r Rule) MarshalJSON() ([]byte, error) {
	lat, _ := json.Marshal(r.Latency.String())
	return json.Marshal(ruleJSON{
		Path: r.Path, Method: r.Method, ErrorRate: r.ErrorRate, RateLimitRate: r.RateLimitRate,
		RetryAfterSeconds: r.RetryAfterSeconds, Latency: lat, DropRate: r.DropRate,
		DropAfterRate: r.DropAfterRate, MalformedRate: r.MalformedRate, TruncateRate: r.TruncateRate, Times: r.Times,
	})
}

// UnmarshalJSON reads Latency as a duration string, or as a number of nanoseconds.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var lat time.Duration
	if len(j.Latency) > 0 && string(j.Latency) != "null" {
		var s string
		if err := json.Unmarshal(j.Latency, &s); err == nil {
			d, err := time.ParseDuration(s)
			if err != nil {
				return fmt.Errorf("fault rule latency %q: %w (use a Go duration like \"250ms\")", s, err)
			}
			lat = d
		} else {
			var n int64
			if err := json.Unmarshal(j.Latency, &n); err != nil {
				return fmt.Errorf("fault rule latency: want a duration string like \"250ms\": %w", err)
			}
			lat = time.Duration(n)
		}
	}
	*r = Rule{
		Path: j.Path, Method: j.Method, ErrorRate: j.ErrorRate, RateLimitRate: j.RateLimitRate,
		RetryAfterSeconds: j.RetryAfterSeconds, Latency: lat, DropRate: j.DropRate,
		DropAfterRate: j.DropAfterRate, MalformedRate: j.MalformedRate, TruncateRate: j.TruncateRate, Times: j.Times,
	}
	return nil
}

type activeRule struct {
	Rule
	used int
}

// Injector decides, per request, whether and how to fail it. It is safe for
// concurrent use; its decisions follow one seeded random sequence, so the same
// requests in the same order meet the same faults.
type Injector struct {
	mu     sync.Mutex
	seed   int64
	rng    *rand.Rand
	rules  []*activeRule
	counts map[string]int
}

// New returns an injector with no rules, drawing from seed.
func New(seed int64) *Injector {
	i := &Injector{counts: map[string]int{}}
	i.reseedLocked(seed)
	return i
}

func (i *Injector) reseedLocked(seed int64) {
	i.seed = seed
	i.rng = rand.New(rand.NewPCG(uint64(seed), 0xfa17))
}

// Reseed restarts the random sequence, so a test can replay a run of faults.
func (i *Injector) Reseed(seed int64) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.reseedLocked(seed)
}

// Set replaces all rules.
func (i *Injector) Set(rules ...Rule) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rules = i.rules[:0]
	for _, r := range rules {
		i.rules = append(i.rules, &activeRule{Rule: r})
	}
}

// Add appends rules to the current ones.
func (i *Injector) Add(rules ...Rule) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, r := range rules {
		i.rules = append(i.rules, &activeRule{Rule: r})
	}
}

// Clear removes all rules; counts are kept.
func (i *Injector) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rules = nil
}

// Rules returns a copy of the current rules.
func (i *Injector) Rules() []Rule {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]Rule, 0, len(i.rules))
	for _, r := range i.rules {
		out = append(out, r.Rule)
	}
	return out
}

// Counts returns the faults injected so far by kind (see the Kind constants).
func (i *Injector) Counts() map[string]int {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make(map[string]int, len(i.counts))
	for k, v := range i.counts {
		out[k] = v
	}
	return out
}

// ResetCounts zeroes the counts.
func (i *Injector) ResetCounts() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.counts = map[string]int{}
}

type decision struct {
	kind       string
	latency    time.Duration
	status     int
	retryAfter int
}

func (i *Injector) decide(r *http.Request) decision {
	i.mu.Lock()
	defer i.mu.Unlock()
	var best *activeRule
	for _, ar := range i.rules {
		if !strings.HasPrefix(r.URL.Path, ar.Path) || (ar.Method != "" && !strings.EqualFold(ar.Method, r.Method)) {
			continue
		}
		if best == nil || len(ar.Path) > len(best.Path) {
			best = ar
		}
	}
	if best == nil {
		return decision{}
	}
	d := decision{latency: best.Latency}
	if d.latency > 0 {
		i.counts[KindLatency]++
	}
	if best.Times > 0 && best.used >= best.Times {
		return d
	}
	// One draw per request keeps the sequence independent of which rule matched.
	x := i.rng.Float64()
	steps := []struct {
		rate float64
		kind string
	}{
		{best.DropRate, KindDrop}, {best.DropAfterRate, KindDropAfter}, {best.ErrorRate, KindError},
		{best.RateLimitRate, KindRateLimit}, {best.MalformedRate, KindMalformed}, {best.TruncateRate, KindTruncate},
	}
	acc := 0.0
	for _, s := range steps {
		acc += s.rate
		if s.rate > 0 && x < acc {
			d.kind = s.kind
			break
		}
	}
	switch d.kind {
	case "":
		return d
	case KindError:
		d.status = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[i.rng.IntN(3)]
	case KindRateLimit:
		d.retryAfter = best.RetryAfterSeconds
		if d.retryAfter <= 0 {
			d.retryAfter = 1
		}
	}
	best.used++
	i.counts[d.kind]++
	return d
}

// Middleware applies the rules to every request except those under /_sandbox/.
func (i *Injector) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ControlPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		d := i.decide(r)
		if d.latency > 0 {
			t := time.NewTimer(d.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch d.kind {
		case "":
			next.ServeHTTP(w, r)
		case KindDrop:
			drop(w)
		case KindDropAfter:
			rec := newRecorder()
			next.ServeHTTP(rec, r)
			drop(w)
		case KindError:
			writeJSON(w, d.status, fmt.Sprintf(`{"message":"%s (injected by sandbox)"}`, http.StatusText(d.status)))
		case KindRateLimit:
			w.Header().Set("Retry-After", strconv.Itoa(d.retryAfter))
			writeJSON(w, http.StatusTooManyRequests, `{"message":"Too Many Attempts."}`)
		case KindMalformed:
			writeJSON(w, http.StatusOK, `{"data":[{"id":1,"name":"broken`+"\x00"+`",`)
		case KindTruncate:
			rec := newRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.header {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			body := rec.body.Bytes()
			w.WriteHeader(rec.status)
			_, _ = w.Write(body[:len(body)/2])
		}
	})
}

// drop closes the connection without an answer. HTTP/2 and recorders cannot
// be hijacked; aborting the handler resets the stream there instead.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

// controlState is what GET answers and PUT/POST accept.
type controlState struct {
	Rules  []Rule         `json:"rules"`
	Seed   *int64         `json:"seed,omitempty"`
	Counts map[string]int `json:"counts,omitempty"`
}

// ControlHandler serves the rules as JSON, for mounting at /_sandbox/faults:
// GET answers {"rules":[…],"seed":n,"counts":{…}}; PUT replaces the rules and
// POST adds to them, each taking {"rules":[…],"seed":n} (seed optional, it
// restarts the random sequence), a bare array of rules, or one rule object;
// DELETE clears the rules (and with ?counts=1 also the counts).
func (i *Injector) ControlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPut, http.MethodPost:
			st, hasRules, err := parseControl(r)
			if err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
				return
			}
			if st.Seed != nil {
				i.Reseed(*st.Seed)
			}
			if !hasRules {
				break
			}
			if r.Method == http.MethodPut {
				i.Set(st.Rules...)
			} else {
				i.Add(st.Rules...)
			}
		case http.MethodDelete:
			i.Clear()
			if r.URL.Query().Get("counts") != "" {
				i.ResetCounts()
			}
		default:
			w.Header().Set("Allow", "GET, PUT, POST, DELETE")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		i.mu.Lock()
		seed := i.seed
		i.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(controlState{Rules: i.Rules(), Seed: &seed, Counts: i.Counts()})
	})
}

func parseControl(r *http.Request) (controlState, bool, error) {
	st, err := parseControlBody(r)
	if err != nil {
		return st, false, err
	}
	return st, st.Rules != nil || st.Seed == nil, nil
}

func parseControlBody(r *http.Request) (controlState, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&raw); err != nil {
		return controlState{}, fmt.Errorf("fault rules: body is not JSON: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	var st controlState
	switch {
	case len(raw) > 0 && raw[0] == '[':
		if err := json.Unmarshal(raw, &st.Rules); err != nil {
			return st, fmt.Errorf("fault rules: %w", err)
		}
	case len(raw) > 0 && raw[0] == '{':
		var probe map[string]json.RawMessage
		_ = json.Unmarshal(raw, &probe)
		if _, ok := probe["rules"]; ok {
			if err := json.Unmarshal(raw, &st); err != nil {
				return st, fmt.Errorf("fault rules: %w", err)
			}
		} else if _, ok := probe["seed"]; ok && len(probe) == 1 {
			if err := json.Unmarshal(raw, &st); err != nil {
				return st, fmt.Errorf("fault rules: %w", err)
			}
		} else {
			var one Rule
			if err := json.Unmarshal(raw, &one); err != nil {
				return st, fmt.Errorf("fault rule: %w", err)
			}
			st.Rules = []Rule{one}
		}
	default:
		return st, errors.New(`fault rules: want {"rules":[…]}, an array of rules, or one rule object`)
	}
	return st, nil
}
