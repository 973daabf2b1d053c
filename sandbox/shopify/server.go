package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/delivery"
	"github.com/shopbridge/shopbridge/sandbox/faults"
	"github.com/shopbridge/shopbridge/sandbox/shopify/schema"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
)

// APIVersion is the only Admin API version the sandbox answers.
const APIVersion = schema.Version

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	Catalog      *catalog.Catalog // default: catalog.Generate(catalog.Config{Seed: Seed})
	Shop         string           // default "demo.myshopify.com"
	AccessTokens []string         // tokens accepted on the GraphQL endpoint without expiry
	ClientID     string           // the app's client id, for OAuth; default "sandbox-client-id"
	ClientSecret string           // signs webhooks and OAuth redirects; default "sandbox-client-secret"
	Plan         string           // standard (default) | advanced | plus | enterprise
	Seed         int64            // makes random orders and the 429 choice deterministic
	Now          func() time.Time // default time.Now; tests pass a fake clock

	Currency string // the shop's currency, default "SEK"
	// PricesExcludeTax makes the shop show prices without tax (taxesIncluded
	// false); by default prices include tax, as European shops usually do.
	PricesExcludeTax bool
	// TaxRate is the tax on every line, default "0.25".
	TaxRate string
	// Throttled429Fraction is the fraction of THROTTLED answers sent with HTTP
	// 429 instead of 200; both are seen from the real API.
	Throttled429Fraction float64
	// Webhooks configure delivery; the default retries 8 times as Shopify does,
	// with short back-off so tests stay fast.
	Webhooks delivery.Options
	// TokenTTL is the lifetime of expiring offline tokens from the code grant,
	// default 1 h; refresh tokens live 30 days.
	TokenTTL time.Duration
}

// plan presets: restore rate per second and bucket size.
var plans = map[string][2]float64{
	"standard":   {100, 2000},
	"advanced":   {200, 4000},
	"plus":       {1000, 20000},
	"enterprise": {2000, 40000},
}

// Server is the Shopify sandbox. It is an http.Handler and safe for concurrent use.
type Server struct {
	opts    Options
	schema  *ast.Schema
	handler http.Handler
	faults  *faults.Injector
	sender  *delivery.Sender

	mu          sync.Mutex
	st          *store
	bucket      bucket
	rng         *rand.Rand           // random orders
	throttleRNG *rand.Rand           // which THROTTLED answers are 429, apart so it does not shift the orders
	tokens      map[string]time.Time // token → expiry (zero: never)
	scopes      map[string]string    // token → granted scopes, when not the default
	codes       map[string]oauthCode
	refresh     map[string]oauthCode // refresh token → its scope and expiry
	idempotency map[string]idemEntry
	webhookSeq  int64
}

// New builds a Server seeded from opts.Catalog. It panics only if the embedded
// schema cannot be loaded, which is a build defect.
func New(opts Options) *Server {
	if opts.Shop == "" {
		opts.Shop = "demo.myshopify.com"
	}
	if opts.ClientID == "" {
		opts.ClientID = "sandbox-client-id"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "sandbox-client-secret"
	}
	if _, ok := plans[opts.Plan]; !ok {
		opts.Plan = "standard"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Currency == "" {
		opts.Currency = "SEK"
	}
	if opts.TaxRate == "" {
		opts.TaxRate = "0.25"
	}
	if opts.TokenTTL == 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.Webhooks.Backoff == 0 {
		opts.Webhooks.Backoff = 100 * time.Millisecond
	}
	if opts.Webhooks.Attempts == 0 {
		opts.Webhooks.Attempts = 9 // the first try and Shopify's 8 retries
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.Generate(catalog.Config{Seed: opts.Seed})
	}
	sch, err := schema.Load()
	if err != nil {
		panic(fmt.Sprintf("shopify sandbox: the embedded Admin schema does not load: %v", err))
	}
	p := plans[opts.Plan]
	s := &Server{
		opts:        opts,
		schema:      sch,
		faults:      faults.New(opts.Seed),
		sender:      delivery.NewSender(opts.Webhooks),
		bucket:      bucket{rate: p[0], max: p[1], avail: p[1]},
		rng:         rand.New(rand.NewPCG(uint64(opts.Seed), 0x5407f1)),
		throttleRNG: rand.New(rand.NewPCG(uint64(opts.Seed), 0x429)),
		tokens:      map[string]time.Time{},
		scopes:      map[string]string{},
		codes:       map[string]oauthCode{},
		refresh:     map[string]oauthCode{},
		idempotency: map[string]idemEntry{},
	}
	for _, t := range opts.AccessTokens {
		s.tokens[t] = time.Time{}
	}
	s.st = seed(opts.Catalog, s.now(), opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/api/{version}/graphql.json", s.serveGraphQL)
	mux.HandleFunc("GET /admin/oauth/authorize", s.serveAuthorize)
	mux.HandleFunc("POST /admin/oauth/authorize/approve", s.serveApprove)
	mux.HandleFunc("POST /admin/oauth/access_token", s.serveAccessToken)
	s.mountControl(mux)
	s.handler = s.faults.Middleware(mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close stops webhook delivery; deliveries still queued are dropped.
func (s *Server) Close() { s.sender.Close() }

// Faults returns the fault injector wrapped around every non-control endpoint.
func (s *Server) Faults() *faults.Injector { return s.faults }

// Webhooks returns the sender, whose Log lists every delivery attempt.
func (s *Server) Webhooks() *delivery.Sender { return s.sender }

// now is the sandbox clock truncated to seconds: Shopify's timestamps carry
// seconds, and filters on them must agree with what clients read.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// Shop is the shop's domain.
func (s *Server) Shop() string { return s.opts.Shop }

// GraphQLPath is the path of the Admin GraphQL endpoint.
func GraphQLPath() string { return "/admin/api/" + APIVersion + "/graphql.json" }

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) authorized(token string) bool {
	if token == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[token]
	return ok && (exp.IsZero() || s.opts.Now().Before(exp))
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("version") != APIVersion {
		writeJSON(w, http.StatusNotFound, map[string]string{"errors": "Not Found"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"errors": "Method Not Allowed"})
		return
	}
	if !s.authorized(r.Header.Get("X-Shopify-Access-Token")) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]string{"query": "Required parameter missing or invalid"}})
		return
	}
	var req gqlRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/graphql" {
		req.Query = string(body)
	} else {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil || req.Query == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]string{"query": "Required parameter missing or invalid"}})
			return
		}
	}
	status, resp := s.execute(req, "http://"+r.Host, r.Header.Get("X-Shopify-Access-Token"))
	writeJSON(w, status, resp)
}

// Response is the JSON body of a GraphQL answer.
type Response struct {
	Data       any            `json:"data,omitempty"`
	Errors     []gqlError     `json:"errors,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// execute runs one GraphQL request and returns the HTTP status and body.
func (s *Server) execute(req gqlRequest, base, token string) (int, *Response) {
	doc, errs := schema.Parse(req.Query)
	if len(errs) > 0 {
		return http.StatusOK, &Response{Errors: validationErrors(errs), Extensions: s.costExtension(0, 0, false)}
	}
	op, err := pickOperation(doc, req.OperationName)
	if err != nil {
		return http.StatusOK, &Response{Errors: []gqlError{{Message: err.Error()}}}
	}
	vars, verr := validator.VariableValues(s.schema, op, req.Variables)
	if verr != nil {
		return http.StatusOK, &Response{Errors: validationErrors(gqlerror.List{asGQLError(verr)}), Extensions: s.costExtension(0, 0, false)}
	}
	if isSchemaIntrospection(op) {
		return s.introspect()
	}
	e := &execCtx{s: s, doc: doc, vars: vars, base: base, token: token}
	requested := e.requestedCost(op)
	if requested > maxQueryCost {
		return http.StatusOK, &Response{
			Errors: []gqlError{{
				Message:    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, maxQueryCost),
				Extensions: map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxQueryCost},
			}},
			Extensions: s.costExtension(requested, 0, true),
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if !s.bucket.take(float64(requested), now) {
		s.st.ThrottleCount++
		status := http.StatusOK
		if s.opts.Throttled429Fraction > 0 && s.throttleRNG.Float64() < s.opts.Throttled429Fraction {
			status = http.StatusTooManyRequests
		}
		return status, &Response{
			Errors: []gqlError{{
				Message:    "Throttled",
				Extensions: map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
			}},
			Extensions: s.costExtensionLocked(requested, 0, true),
		}
	}
	var data *omap
	if op.Operation == ast.Mutation {
		data = e.selectObject(&mutationRoot{}, op.SelectionSet, nil)
	} else {
		data = e.selectObject(&queryRoot{}, op.SelectionSet, nil)
	}
	actual := requested
	if op.Operation != ast.Mutation {
		actual = e.actualCost(op.SelectionSet, data)
	}
	s.bucket.refund(float64(requested - actual))
	return http.StatusOK, &Response{Data: data, Errors: e.errs, Extensions: s.costExtensionLocked(requested, actual, false)}
}

func pickOperation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		if op := doc.Operations.ForName(name); op != nil {
			return op, nil
		}
		//lint:ignore ST1005 GraphQL's own wording, which clients match on
		return nil, fmt.Errorf("No operation named %q", name)
	}
	if len(doc.Operations) != 1 {
		//lint:ignore ST1005 GraphQL's own wording, which clients match on
		return nil, errors.New("An operation name is required")
	}
	return doc.Operations[0], nil
}

func asGQLError(err error) *gqlerror.Error {
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		return ge
	}
	return gqlerror.Wrap(err)
}

// validationErrors renders gqlparser's errors the way Shopify renders its
// own: message, locations, and an extensions.code naming the broken rule.
func validationErrors(errs gqlerror.List) []gqlError {
	out := make([]gqlError, 0, len(errs))
	for _, e := range errs {
		ge := gqlError{Message: e.Message}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, errLocation{Line: l.Line, Column: l.Column})
		}
		code := ruleCodes[e.Rule]
		if code == "" {
			code = "GRAPHQL_VALIDATION_FAILED"
		}
		if e.Rule == "" && strings.HasPrefix(e.Message, "Expected") || strings.HasPrefix(e.Message, "Unexpected") {
			code = "GRAPHQL_PARSE_FAILED"
		}
		if len(e.Path) > 0 && strings.HasPrefix(e.Path.String(), "variable") {
			code = "INVALID_VARIABLE"
		}
		ge.Extensions = map[string]any{"code": code}
		out = append(out, ge)
	}
	return out
}

// ruleCodes maps gqlparser's validation rules to the codes Shopify's GraphQL
// server (graphql-ruby) puts on the same mistakes.
var ruleCodes = map[string]string{
	"FieldsOnCorrectType":          "undefinedField",
	"KnownArgumentNames":           "argumentNotAccepted",
	"ProvidedRequiredArguments":    "missingRequiredArguments",
	"KnownTypeNames":               "undefinedType",
	"ValuesOfCorrectType":          "argumentLiteralsIncompatible",
	"ScalarLeafs":                  "selectionMismatch",
	"NoUnusedVariables":            "variableNotUsed",
	"NoUndefinedVariables":         "variableNotDefined",
	"VariablesInAllowedPosition":   "variableMismatch",
	"KnownDirectives":              "undefinedDirective",
	"NoUnusedFragments":            "useAndDefineFragment",
	"KnownFragmentNames":           "undefinedFragment",
	"UniqueArgumentNames":          "argumentNotUnique",
	"OverlappingFieldsCanBeMerged": "fieldConflict",
}

// isSchemaIntrospection reports whether op asks only for __schema, as code
// generators and GraphiQL do.
func isSchemaIntrospection(op *ast.OperationDefinition) bool {
	if op.Operation != ast.Query || len(op.SelectionSet) != 1 {
		return false
	}
	f, ok := op.SelectionSet[0].(*ast.Field)
	return ok && f.Name == "__schema"
}

// introspect answers with the real introspection result. It carries every
// field of the schema whatever the selection asked for; clients ignore what
// they did not ask for.
func (s *Server) introspect() (int, *Response) {
	raw, err := schema.Introspection()
	if err != nil {
		return http.StatusInternalServerError, &Response{Errors: []gqlError{{Message: err.Error()}}}
	}
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return http.StatusInternalServerError, &Response{Errors: []gqlError{{Message: err.Error()}}}
	}
	return http.StatusOK, &Response{Data: doc.Data, Extensions: s.costExtension(0, 0, false)}
}
