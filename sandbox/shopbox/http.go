package shopbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const maxBody = 4 << 20

var statusNames = map[int]string{
	http.StatusBadRequest:          "Bad Request",
	http.StatusUnauthorized:        "Unauthorized",
	http.StatusForbidden:           "Forbidden",
	http.StatusNotFound:            "Not Found",
	http.StatusConflict:            "Conflict",
	http.StatusUnprocessableEntity: "Unprocessable entity",
	http.StatusTooManyRequests:     "Too Many Requests",
}

// apiError is the error body shape of API-NOTES §2.
type apiError struct {
	Error struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Code    int    `json:"code"`
		Status  int    `json:"status"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	var e apiError
	e.Error.Name = statusNames[status]
	if e.Error.Name == "" {
		e.Error.Name = http.StatusText(status)
	}
	e.Error.Message = msg
	e.Error.Status = status
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeData wraps a single object as {"data":…}.
func writeData(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, map[string]any{"data": v})
}

// decode reads a JSON body into v; on failure it has answered 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the request body failed: "+err.Error())
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, http.StatusBadRequest, "the request body is not valid JSON for this endpoint: "+err.Error())
		return false
	}
	return true
}

// pathUID reads the {uid} path segment; on failure it has answered 404.
func pathUID(w http.ResponseWriter, r *http.Request) (int, bool) {
	uid, err := strconv.Atoi(r.PathValue("uid"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no object with uid "+strconv.Quote(r.PathValue("uid")))
		return 0, false
	}
	return uid, true
}

// expansions reads expand= and with= (comma separated, repeatable).
func expansions(r *http.Request) map[string]bool {
	out := map[string]bool{}
	q := r.URL.Query()
	for _, key := range []string{"expand", "with"} {
		for _, v := range q[key] {
			for _, name := range strings.Split(v, ",") {
				if name = strings.TrimSpace(name); name != "" {
					out[name] = true
				}
			}
		}
	}
	return out
}

// intParam reads an optional integer query parameter; ok is false after a 400.
func intParam(w http.ResponseWriter, r *http.Request, name string) (v int64, set, ok bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, false, true
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("query parameter %s=%q is not an integer", name, raw))
		return 0, false, false
	}
	return v, true, true
}

type pagination struct {
	Total       int   `json:"total"`
	Count       int   `json:"count"`
	PerPage     int   `json:"per_page"`
	CurrentPage int   `json:"current_page"`
	TotalPages  int   `json:"total_pages"`
	Links       links `json:"links"`
}

type links struct {
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

type listAnswer struct {
	Data []any `json:"data"`
	Meta struct {
		Pagination pagination `json:"pagination"`
	} `json:"meta"`
}

// pageReq is the page a list request asks for.
type pageReq struct{ page, perPage int }

// pageBounds reads page and per-page; ok is false after a 400.
func pageBounds(w http.ResponseWriter, r *http.Request) (pageReq, bool) {
	p, _, ok := intParam(w, r, "page")
	if !ok {
		return pageReq{}, false
	}
	pp, set, ok := intParam(w, r, "per-page")
	if !ok {
		return pageReq{}, false
	}
	pg := pageReq{page: int(max(p, 1)), perPage: 20}
	if set {
		pg.perPage = int(min(max(pp, 1), 100))
	}
	return pg, true
}

// buildList renders one page of items; render copies each item on the page
// into its wire shape, so the answer can be written after the lock is released
// and expansions cost only what the page holds.
func buildList[T any](r *http.Request, pg pageReq, items []T, render func(T) any) listAnswer {
	total := len(items)
	pages := (total + pg.perPage - 1) / pg.perPage
	lo := min((pg.page-1)*pg.perPage, total)
	hi := min(lo+pg.perPage, total)
	var ans listAnswer
	ans.Data = make([]any, 0, hi-lo)
	for _, it := range items[lo:hi] {
		ans.Data = append(ans.Data, render(it))
	}
	ans.Meta.Pagination = pagination{
		Total: total, Count: hi - lo, PerPage: pg.perPage, CurrentPage: pg.page, TotalPages: pages,
	}
	if pg.page < pages {
		ans.Meta.Pagination.Links.Next = ptr(pageURL(r, pg.page+1))
	}
	if pg.page > 1 {
		ans.Meta.Pagination.Links.Previous = ptr(pageURL(r, min(pg.page-1, max(pages, 1))))
	}
	return ans
}

// pageURL is the absolute URL of another page of the same query; like the real
// API it keeps every other parameter, credentials included.
func pageURL(r *http.Request, page int) string {
	u := *r.URL
	q := u.Query()
	q.Set("page", strconv.Itoa(page))
	u.RawQuery = q.Encode()
	u.Scheme = "http"
	if r.TLS != nil {
		u.Scheme = "https"
	}
	u.Host = r.Host
	return u.String()
}

// login is POST /authenticate/credentials.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if !decode(w, r, &in) {
		return
	}
	userOK := subtle.ConstantTimeCompare([]byte(strings.ToLower(in.Username)), []byte(strings.ToLower(s.opts.Email))) == 1
	passOK := subtle.ConstantTimeCompare([]byte(in.Password), []byte(s.opts.Password)) == 1
	if !userOK || !passOK {
		s.mu.Lock()
		s.loginFails++
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, "Wrong username or password")
		return
	}
	tok := newToken()
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(s.opts.TokenTTL)
	s.loginCount++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"accessToken": tok,
		"account":     map[string]any{"uid": 1, "username": s.opts.Email},
	})
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// authed checks ?accessToken=&client= or ?api-token= before h runs.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if msg := s.refusal(q); msg != "" {
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		client := q.Get("client")
		if client != "" && client != strconv.Itoa(s.opts.ClientID) {
			writeError(w, http.StatusForbidden, "You are not allowed to access client "+client)
			return
		}
		// Listing one's shops is how a client learns its client id, so that
		// one call needs no client.
		if q.Get("api-token") == "" && client == "" && r.URL.Path != "/api/v3/clients/myclients" {
			writeError(w, http.StatusBadRequest, "the client query parameter is required with accessToken")
			return
		}
		h(w, r)
	}
}

// refusal says why the credential in the query is refused, or "" when it is
// accepted. It never echoes the token.
func (s *Server) refusal(q url.Values) string {
	const prefix = "Your request was made with invalid credentials: "
	if tok := q.Get("api-token"); tok != "" {
		for _, t := range s.opts.APITokens {
			if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
				return ""
			}
		}
		return prefix + "unknown api-token"
	}
	tok := q.Get("accessToken")
	if tok == "" {
		return prefix + "pass accessToken and client, or api-token"
	}
	s.mu.Lock()
	exp, known := s.tokens[tok]
	s.mu.Unlock()
	if !known {
		return prefix + "unknown accessToken"
	}
	if !s.now().Before(exp) {
		return prefix + "the accessToken has expired, log in again"
	}
	return ""
}

// limiter is a token bucket on the injected clock.
type limiter struct {
	mu       sync.Mutex
	capacity float64
	perSec   float64
	tokens   float64
	last     time.Time
}

func newLimiter(perMinute int, now time.Time) *limiter {
	return &limiter{capacity: float64(perMinute), perSec: float64(perMinute) / 60, tokens: float64(perMinute), last: now}
}

// take spends one token, or says how long until one is available.
func (l *limiter) take(now time.Time) (remaining int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = math.Min(l.capacity, l.tokens+el*l.perSec)
		l.last = now
	}
	if l.tokens >= 1 {
		l.tokens--
		return int(l.tokens), 0
	}
	return 0, time.Duration((1 - l.tokens) / l.perSec * float64(time.Second))
}

func (s *Server) rateLimited(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remaining, wait := s.limiter.take(s.now())
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.opts.RateLimit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		if wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, http.StatusTooManyRequests, "Rate limit exceeded, retry after the number of seconds in Retry-After")
			return
		}
		next.ServeHTTP(w, r)
	})
}
