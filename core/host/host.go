package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/plugin"
)

// Host is one running shopbridge.
type Host struct {
	cfg     *config.Config
	log     hclog.Logger
	plugins *plugin.Manager
	mux     *http.ServeMux

	mu    sync.Mutex
	links map[string]*plugin.Link
	addr  net.Addr
	ready atomic.Bool
}

// New prepares a host for cfg; nothing starts until Run.
func New(cfg *config.Config, logger hclog.Logger) (*Host, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	pm, err := plugin.NewManager(plugin.Options{Dir: cfg.Plugins.Dir, Lock: cfg.Plugins.Lock, Logger: logger.Named("connector")})
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, log: logger, plugins: pm, mux: http.NewServeMux(), links: map[string]*plugin.Link{}}
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	return h, nil
}

// Plugins is the host's plugin manager.
func (h *Host) Plugins() *plugin.Manager { return h.plugins }

// Link returns an open link, or nil.
func (h *Host) Link(id string) *plugin.Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.links[id]
}

// Handle adds a route to the host's HTTP port; call it before Run.
func (h *Host) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// Addr is the address the HTTP port listens on once Run has started it.
func (h *Host) Addr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

// Run listens on server.listen, opens every enabled link on its connector
// and serves until ctx ends; then it stops the HTTP server and every
// connector process. A link that cannot be opened stops Run with an error
// naming it.
func (h *Host) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", h.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listening on server.listen %s: %w (is another shopbridge running?)", h.cfg.Server.Listen, err)
	}
	h.mu.Lock()
	h.addr = ln.Addr()
	h.mu.Unlock()
	srv := &http.Server{Handler: h.mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	h.log.Info("listening", "addr", ln.Addr().String())

	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		_ = h.plugins.Close()
		h.log.Info("stopped")
	}()

	if err := h.openLinks(ctx); err != nil {
		return err
	}
	h.ready.Store(true)
	h.log.Info("running", "links", len(h.links))
	select {
	case <-ctx.Done():
		h.log.Info("stopping")
		return nil
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("HTTP server on %s: %w", h.cfg.Server.Listen, err)
	}
}

func (h *Host) openLinks(ctx context.Context) error {
	for i := range h.cfg.Links {
		lc := &h.cfg.Links[i]
		if lc.Disabled {
			h.log.Info("link disabled; not opened", "link", lc.ID)
			continue
		}
		l, err := h.plugins.Open(ctx, lc)
		if err != nil {
			return err
		}
		name, version := l.Connector()
		h.log.Info("link open", "link", lc.ID, "connector", name, "version", version, "account", l.Account())
		h.mu.Lock()
		h.links[lc.ID] = l
		h.mu.Unlock()
	}
	return nil
}

func (h *Host) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when every link is open on a running connector
// process, and 503 listing what is not.
func (h *Host) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var problems []string
	if !h.ready.Load() {
		problems = append(problems, "starting: links are being opened")
	}
	for _, p := range h.plugins.Processes() {
		if !p.Running {
			problems = append(problems, fmt.Sprintf("connector %s %s is not running (%s); links %s wait for it", p.Name, p.Version, p.LastError, strings.Join(p.Links, ", ")))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
		return
	}
	fmt.Fprintln(w, "ready")
}
