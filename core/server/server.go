package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/sdk"
)

// Sink takes verified deliveries. It returns nil only once the delivery and
// the jobs it causes are committed (or it was a repeat); an *sdk.Error's
// class picks the answer.
type Sink interface {
	ChannelWebhook(ctx context.Context, link string, h http.Header, body []byte) error
	RackbeatWebhook(ctx context.Context, h http.Header, body []byte) error
}

// Options configure a Server.
type Options struct {
	Listen       string
	MaxBodyBytes int64 // default 1 MiB
	Logger       hclog.Logger
	Sink         Sink
	// Ready reports whether the host can do its work (store open, links
	// open); nil is always ready.
	Ready func() error
	// Extra routes: the status page at "/", "/metrics", the OAuth callback.
	Routes map[string]http.Handler
	// Observe is told the outcome of every webhook: source, HTTP status.
	Observe func(source string, status int)
}

// Server is the host's HTTP port.
type Server struct {
	opts Options
	srv  *http.Server
	ln   net.Listener
}

// New builds the server; Start listens.
func New(opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s := &Server{opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/rackbeat", s.rackbeat)
	mux.HandleFunc("POST /hooks/{link}", s.channel)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	for pattern, h := range opts.Routes {
		mux.Handle(pattern, h)
	}
	s.srv = &http.Server{
		Handler: mux,
		// Shopify allows a delivery 5 s; a slow client must not hold a
		// connection longer than that.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	return s
}

// Handler is the server's routes, for tests.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("server.listen %s: %w (is another shopbridge or program using the port?)", s.opts.Listen, err)
	}
	s.ln = ln
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.opts.Listen
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = io.WriteString(w, "ready\n")
}

// readBody reads at most MaxBodyBytes; a larger body is refused whole
// rather than cut, since a cut body fails its signature anyway and wastes
// a connector call.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("body over %d bytes", s.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read body", http.StatusBadRequest)
		}
		return nil, false
	}
	return body, true
}

func (s *Server) channel(w http.ResponseWriter, r *http.Request) {
	link := r.PathValue("link")
	body, ok := s.readBody(w, r)
	if !ok {
		s.observe("link:"+link, http.StatusRequestEntityTooLarge)
		return
	}
	s.answer(w, "link:"+link, s.opts.Sink.ChannelWebhook(r.Context(), link, r.Header, body))
}

func (s *Server) rackbeat(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		s.observe("rackbeat", http.StatusRequestEntityTooLarge)
		return
	}
	s.answer(w, "rackbeat", s.opts.Sink.RackbeatWebhook(r.Context(), r.Header, body))
}

// statusFor maps a Sink error to what a webhook sender understands.
func statusFor(err error) int {
	if err == nil {
		return http.StatusOK
	}
	switch sdk.ClassOf(err) {
	case sdk.ClassUnauthenticated:
		return http.StatusUnauthorized
	case sdk.ClassInvalid:
		return http.StatusBadRequest
	case sdk.ClassNotFound:
		return http.StatusNotFound
	case sdk.ClassUnsupported:
		return http.StatusNotImplemented
	}
	return http.StatusServiceUnavailable
}

func (s *Server) answer(w http.ResponseWriter, source string, err error) {
	code := statusFor(err)
	s.observe(source, code)
	if err == nil {
		_, _ = io.WriteString(w, "ok\n")
		return
	}
	// The log has the detail; the sender gets one short line and never
	// anything that could help forge the next delivery.
	s.opts.Logger.Warn("webhook refused", "source", source, "status", code, "error", err)
	http.Error(w, http.StatusText(code), code)
}

func (s *Server) observe(source string, code int) {
	if s.opts.Observe != nil {
		s.opts.Observe(source, code)
	}
}
