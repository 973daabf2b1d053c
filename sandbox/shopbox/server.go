package shopbox

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/delivery"
	"github.com/shopbridge/shopbridge/sandbox/faults"
)

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	// Catalog seeds products, tags (from categories), branches (from
	// locations) and stock. Nil starts empty but for one branch.
	Catalog *catalog.Catalog
	// Email and Password are the account's login (default
	// "sandbox@shopbox.test" / "sandbox").
	Email, Password string
	// APITokens are accepted as ?api-token= for ClientID.
	APITokens []string
	// ClientID is the one shop the account owns (default 1).
	ClientID int
	// TokenTTL is how long an access token lives (default 1 h).
	TokenTTL time.Duration
	// VATPercent converts the catalogue's prices excl. VAT to øre incl. VAT (default 25).
	VATPercent int
	// PushSecret keys the X-Shopbox-Signature HMAC (default "shopbox-sandbox-push-secret").
	PushSecret string
	// Seed makes cash registers and random sales reproducible.
	Seed int64
	// Now is the clock (default time.Now); tests move it to expire tokens
	// and refill the rate limit without sleeping.
	Now func() time.Time
	// RateLimit is requests per minute over the whole API, also the burst
	// (default 1200; negative turns the limit off).
	RateLimit int
	// PushClient sends pushes (default a client with a 5 s timeout).
	PushClient *http.Client
	// PushAttempts and PushBackoff tune push retries (defaults 5 and 200 ms).
	PushAttempts int
	PushBackoff  time.Duration
}

// Server is the Shopbox sandbox; it is an http.Handler.
type Server struct {
	opts    Options
	handler http.Handler
	faults  *faults.Injector
	sender  *delivery.Sender
	limiter *limiter

	mu         sync.Mutex
	st         *state
	tokens     map[string]time.Time // access token -> expiry
	loginCount int
	loginFails int
}

// New builds a sandbox seeded from opts.Catalog.
func New(opts Options) *Server {
	if opts.Email == "" {
		opts.Email = "sandbox@shopbox.test"
	}
	if opts.Password == "" {
		opts.Password = "sandbox"
	}
	if opts.ClientID == 0 {
		opts.ClientID = 1
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.VATPercent == 0 {
		opts.VATPercent = 25
	}
	if opts.PushSecret == "" {
		opts.PushSecret = "shopbox-sandbox-push-secret"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = 1200
	}
	if opts.PushClient == nil {
		opts.PushClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.PushAttempts <= 0 {
		opts.PushAttempts = 5
	}
	if opts.PushBackoff <= 0 {
		opts.PushBackoff = 200 * time.Millisecond
	}
	s := &Server{
		opts:   opts,
		faults: faults.New(opts.Seed),
		sender: delivery.NewSender(delivery.Options{
			Client: opts.PushClient, Attempts: opts.PushAttempts,
			Backoff: opts.PushBackoff, Timeout: opts.PushClient.Timeout,
		}),
		tokens: map[string]time.Time{},
	}
	if opts.RateLimit > 0 {
		s.limiter = newLimiter(opts.RateLimit, opts.Now())
	}
	s.st = seed(opts)

	api := http.NewServeMux()
	s.routes(api)
	control := http.NewServeMux()
	s.controlRoutes(control)

	apiChain := s.faults.Middleware(s.rateLimited(api))
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sandbox/") {
			control.ServeHTTP(w, r)
			return
		}
		apiChain.ServeHTTP(w, r)
	})
	return s
}

// ServeHTTP serves the API under /api/v3/ and the control API under /_sandbox/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close stops the push sender; pushes still queued are dropped.
func (s *Server) Close() {
	s.sender.Close()
}

// FlushPushes waits until every queued push has been delivered or given up.
func (s *Server) FlushPushes(ctx context.Context) error {
	return s.sender.Flush(ctx)
}

// PushLog lists every push delivery attempt.
func (s *Server) PushLog() []delivery.Attempt {
	return s.sender.Log()
}

// Faults is the fault injector in front of the API (also at /_sandbox/faults).
func (s *Server) Faults() *faults.Injector {
	return s.faults
}

// PushSecret is the key of the push signatures, for tests that verify them.
func (s *Server) PushSecret() string {
	return s.opts.PushSecret
}

func (s *Server) now() time.Time {
	return s.opts.Now()
}

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v3/authenticate/credentials", s.login)

	mux.HandleFunc("GET /api/v3/clients/myclients", s.authed(s.listClients))
	mux.HandleFunc("GET /api/v3/branches", s.authed(s.listBranches))
	mux.HandleFunc("GET /api/v3/branches/{uid}", s.authed(s.getBranch))
	mux.HandleFunc("GET /api/v3/tags", s.authed(s.listTags))
	mux.HandleFunc("POST /api/v3/tags", s.authed(s.createTag))
	mux.HandleFunc("GET /api/v3/tags/{uid}", s.authed(s.getTag))
	mux.HandleFunc("GET /api/v3/products", s.authed(s.listProducts))
	mux.HandleFunc("GET /api/v3/products/{uid}", s.authed(s.getProduct))
	mux.HandleFunc("POST /api/v3/products/create-or-update", s.authed(s.createOrUpdateProduct))
	mux.HandleFunc("GET /api/v3/variance-type", s.authed(s.listVarianceTypes))
	mux.HandleFunc("POST /api/v3/variance-type/create-or-update", s.authed(s.createOrUpdateVarianceType))
	mux.HandleFunc("GET /api/v3/product-inventories", s.authed(s.listInventories))
	mux.HandleFunc("POST /api/v3/product-inventories", s.authed(s.setInventory))
	mux.HandleFunc("GET /api/v3/baskets", s.authed(s.listBaskets))
	mux.HandleFunc("GET /api/v3/baskets/{uid}", s.authed(s.getBasket))
	mux.HandleFunc("POST /api/v3/baskets", s.authed(s.createBasket))
	mux.HandleFunc("PUT /api/v3/baskets/{uid}/cancel", s.authed(s.cancelBasket))
	mux.HandleFunc("GET /api/v3/webhooks", s.authed(s.listWebhooks))
	mux.HandleFunc("POST /api/v3/webhooks", s.authed(s.createWebhook))
	mux.HandleFunc("DELETE /api/v3/webhooks/{uid}", s.authed(s.deleteWebhook))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
}
