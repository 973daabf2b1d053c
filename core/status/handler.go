package status

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/state"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"ago": ago, "until": until, "lag": lag, "stamp": stamp, "clock": clock, "stateClass": stateClass, "join": join,
}).Parse(pageHTML))

// Options configure the status page.
type Options struct {
	// Source is where the page reads from and what its buttons call.
	Source Source
	// Token is server.operator_token; zero makes the page read-only for
	// everyone.
	Token config.Secret
	// Secrets are values the page must never show, e.g. SecretValues(cfg).
	// The operator token is always among them.
	Secrets []string
	Logger  hclog.Logger
	// PageSize is how many quarantine items a page lists [25].
	PageSize int
	// Refresh is how often the page reloads itself [10 s].
	Refresh time.Duration
}

// Handler serves the status page, /status.json and the page's actions.
type Handler struct {
	src      Source
	auth     auth
	filter   filter
	log      hclog.Logger
	pageSize int
	refresh  time.Duration
	now      func() time.Time
	mux      *http.ServeMux
	// logins slows down guessing the token through the login form.
	logins *rate.Limiter
}

// New builds the handler.
func New(opts Options) *Handler {
	h := &Handler{
		src:      opts.Source,
		auth:     auth{token: []byte(opts.Token.Value()), now: time.Now},
		filter:   newFilter(append([]string{opts.Token.Value()}, opts.Secrets...)),
		log:      opts.Logger,
		pageSize: opts.PageSize,
		refresh:  opts.Refresh,
		now:      time.Now,
		logins:   rate.NewLimiter(rate.Every(time.Second), 10),
	}
	if h.log == nil {
		h.log = hclog.NewNullLogger()
	}
	h.log = h.log.Named("status")
	if h.pageSize <= 0 {
		h.pageSize = 25
	}
	if h.refresh <= 0 {
		h.refresh = 10 * time.Second
	}
	// Forms POST from the page itself; a cross-site POST is refused even
	// before the CSRF token is looked at.
	xo := http.NewCrossOriginProtection()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.servePage)
	mux.HandleFunc("GET /status.json", h.serveJSON)
	mux.Handle("POST /login", xo.Handler(http.HandlerFunc(h.login)))
	mux.Handle("POST /logout", xo.Handler(http.HandlerFunc(h.logout)))
	mux.Handle("POST /quarantine/{id}/{action}", xo.Handler(http.HandlerFunc(h.action)))
	h.mux = mux
	return h
}

// Routes are the patterns to mount on the host's port
// (server.Options.Routes); each serves through h.
func (h *Handler) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /{$}":                       h,
		"GET /status.json":               h,
		"POST /login":                    h,
		"POST /logout":                   h,
		"POST /quarantine/{id}/{action}": h,
	}
}

// ServeHTTP serves the page, the JSON and the actions.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	h.mux.ServeHTTP(w, r)
}

func secureHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// flashes are the outcomes a redirect after an action can announce; only
// these words travel in the URL, never text.
var flashes = map[string]string{
	"retried":   "Item %d is back in the queue.",
	"dropped":   "Item %d was dropped from quarantine.",
	"loggedin":  "Logged in as the operator.",
	"loggedout": "Logged out.",
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	acc, sess := h.auth.check(r)
	if acc == refused {
		h.unauthorized(w, false)
		return
	}
	after := queryAfter(r)
	s := h.pageSnapshot(r, acc == operator, sess, after)
	q := r.URL.Query()
	if f, ok := flashes[q.Get("done")]; ok {
		s.FlashKind = q.Get("done")
		id, _ := strconv.ParseInt(q.Get("id"), 10, 64)
		if id != 0 {
			s.Flash = fmt.Sprintf(f, id)
		} else {
			s.Flash = f
		}
	}
	h.render(w, http.StatusOK, s)
}

func (h *Handler) serveJSON(w http.ResponseWriter, r *http.Request) {
	acc, sess := h.auth.check(r)
	if acc == refused {
		h.unauthorized(w, true)
		return
	}
	s := h.pageSnapshot(r, acc == operator, sess, queryAfter(r))
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s)
}

func (h *Handler) pageSnapshot(r *http.Request, op bool, sess string, after int64) *Snapshot {
	s := h.snapshot(r.Context(), op, after)
	s.RefreshSeconds = int(h.refresh.Seconds())
	s.SelfURL = "/"
	if after > 0 {
		s.SelfURL = "/?after=" + strconv.FormatInt(after, 10)
	}
	switch {
	case op:
		s.CSRF = h.auth.csrf(sess)
		s.Session = sess != "bearer"
	case !h.auth.configured():
		s.ReadOnly = "Read-only: no operator token is configured (server.operator_token), so quarantine cannot be retried or dropped here and payloads are hidden."
	default:
		s.LoginOffered = true
		s.ReadOnly = "Read-only: log in with the operator token to retry or drop quarantined items and to see their payloads."
	}
	return s
}

func (h *Handler) render(w http.ResponseWriter, code int, s *Snapshot) {
	var b bytes.Buffer
	if err := page.Execute(&b, s); err != nil {
		h.log.Error("status page: render failed", "error", err)
		http.Error(w, "the status page could not be rendered; see the host's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(b.Bytes())
}

func (h *Handler) unauthorized(w http.ResponseWriter, asJSON bool) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="shopbridge"`)
	msg := "wrong operator token"
	if !h.auth.configured() {
		msg = "no operator token is configured on this host; send no Authorization header"
	}
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	http.Error(w, msg, http.StatusUnauthorized)
}

// failPage shows the page with an error message and the given status, for
// actions that did not happen.
func (h *Handler) failPage(w http.ResponseWriter, r *http.Request, code int, msg string, after int64) {
	acc, sess := h.auth.check(r)
	s := h.pageSnapshot(r, acc == operator, sess, after)
	s.Flash, s.FlashBad, s.FlashKind = msg, true, "error"
	h.render(w, code, s)
}

// maxForm bounds the body of the page's forms.
const maxForm = 16 << 10

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if !h.auth.configured() {
		h.failPage(w, r, http.StatusForbidden, "There is nothing to log in to: no operator token is configured (server.operator_token).", 0)
		return
	}
	if !h.logins.Allow() {
		w.Header().Set("Retry-After", "1")
		h.failPage(w, r, http.StatusTooManyRequests, "Too many login attempts; wait a moment and try again.", 0)
		return
	}
	if err := r.ParseForm(); err != nil || !h.auth.tokenMatches(r.PostFormValue("token")) {
		h.log.Warn("status page: login with a wrong operator token", "remote", r.RemoteAddr)
		h.failPage(w, r, http.StatusUnauthorized, "That is not the operator token.", 0)
		return
	}
	v, exp := h.auth.newSession()
	setSession(w, r, v, exp)
	h.log.Info("status page: operator logged in", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/?done=loggedin", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	acc, sess := h.auth.check(r)
	if acc == operator && !h.auth.csrfValid(sess, r.PostFormValue("csrf")) {
		h.failPage(w, r, http.StatusForbidden, "Refused: the form's CSRF token is missing or stale. Reload the page and try again.", 0)
		return
	}
	clearSession(w, r)
	http.Redirect(w, r, "/?done=loggedout", http.StatusSeeOther)
}

func (h *Handler) action(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm()
	after, _ := strconv.ParseInt(r.PostFormValue("after"), 10, 64)
	acc, sess := h.auth.check(r)
	switch {
	case acc == refused:
		h.unauthorized(w, false)
		return
	case !h.auth.configured():
		h.failPage(w, r, http.StatusForbidden, "Refused: the status page is read-only because no operator token is configured (server.operator_token).", after)
		return
	case acc != operator:
		h.failPage(w, r, http.StatusUnauthorized, "Log in with the operator token first.", after)
		return
	}
	if !h.auth.csrfValid(sess, r.PostFormValue("csrf")) {
		h.failPage(w, r, http.StatusForbidden, "Refused: the form's CSRF token is missing or stale. Reload the page and try again.", after)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.failPage(w, r, http.StatusNotFound, "There is no such quarantine item.", after)
		return
	}
	var done string
	switch r.PathValue("action") {
	case "retry":
		err, done = h.src.Retry(r.Context(), id), "retried"
	case "drop":
		err, done = h.src.Drop(r.Context(), id), "dropped"
	default:
		http.NotFound(w, r)
		return
	}
	if errors.Is(err, state.ErrNotFound) {
		h.failPage(w, r, http.StatusNotFound, fmt.Sprintf("Item %d is no longer in quarantine (retried or dropped already?).", id), after)
		return
	}
	if err != nil {
		h.log.Error("status page: quarantine action failed", "action", r.PathValue("action"), "id", id, "error", h.filter.clean(err.Error(), true))
		h.failPage(w, r, http.StatusConflict, h.filter.clean(fmt.Sprintf("Could not %s item %d: %v", r.PathValue("action"), id, err), true), after)
		return
	}
	h.log.Info("status page: quarantine item "+done, "id", id, "remote", r.RemoteAddr)
	u := url.Values{"done": {done}, "id": {strconv.FormatInt(id, 10)}}
	if after > 0 {
		u.Set("after", strconv.FormatInt(after, 10))
	}
	http.Redirect(w, r, "/?"+u.Encode()+"#quarantine", http.StatusSeeOther)
}

func queryAfter(r *http.Request) int64 {
	n, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
