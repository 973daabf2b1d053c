package rackbeat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
)

// The Go side of the control API, for in-process tests. Every method is safe
// for concurrent use and returns copies, never the live state.

// StockUpdate is the body of POST /_sandbox/stock: Delta moves stock, Quantity
// sets it; Location defaults to the default location.
type StockUpdate struct {
	Number   string `json:"number"`
	Location int    `json:"location"`
	Delta    *int   `json:"delta,omitempty"`
	Quantity *int   `json:"quantity,omitempty"`
}

// SetStock sets the in-stock quantity of number at location and fires inventory.changed.
func (s *Server) SetStock(number string, location, quantity int) error {
	return s.ChangeStock(StockUpdate{Number: number, Location: location, Quantity: &quantity})
}

// MoveStock changes the in-stock quantity of number at location by delta and fires inventory.changed.
func (s *Server) MoveStock(number string, location, delta int) error {
	return s.ChangeStock(StockUpdate{Number: number, Location: location, Delta: &delta})
}

// ChangeStock applies u and fires inventory.changed.
func (s *Server) ChangeStock(u StockUpdate) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	loc := u.Location
	if loc == 0 {
		loc = s.defaultLocationLocked()
	}
	var err error
	switch {
	case u.Quantity != nil && u.Delta != nil:
		err = errors.New("give either delta or quantity, not both")
	case u.Quantity != nil:
		err = s.moveStockLocked(u.Number, loc, *u.Quantity, true)
	case u.Delta != nil:
		err = s.moveStockLocked(u.Number, loc, *u.Delta, false)
	default:
		err = errors.New("give delta (a move) or quantity (a new level)")
	}
	if err != nil {
		return fmt.Errorf("change stock: %w", err)
	}
	s.emitStockLocked([]string{u.Number})
	return nil
}

// Stock is the in-stock quantity of number per location number.
func (s *Server) Stock(number string) map[int]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[int]int{}
	for _, l := range s.st.Locations {
		out[l.Number] = s.st.Stock[number][l.Number]
	}
	return out
}

// Available is in stock minus what booked, unshipped orders hold, per location.
func (s *Server) Available(number string) map[int]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	res := s.reservedLocked()
	out := map[int]int{}
	for _, l := range s.st.Locations {
		out[l.Number] = s.st.Stock[number][l.Number] - res[number][l.Number]
	}
	return out
}

// UpsertProduct creates or changes a product from a JSON object shaped like
// the body of POST /api/products (number required), firing product.created or
// product.updated. Validation errors come back as a *ValidationError.
func (s *Server) UpsertProduct(body []byte) (Product, error) {
	f := &form{raw: map[string]json.RawMessage{}, errs: validation{}}
	if err := json.Unmarshal(body, &f.raw); err != nil {
		return Product{}, fmt.Errorf("upsert product: body is not a JSON object: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.required("number")
	if len(f.errs) > 0 {
		return Product{}, &ValidationError{Errors: f.errs}
	}
	p, ok := s.upsertProductLocked(f, s.products[f.str("number")])
	if !ok {
		return Product{}, &ValidationError{Errors: f.errs}
	}
	return copyProduct(p), nil
}

// ValidationError is a 422 from the control API or UpsertProduct.
type ValidationError struct{ Errors map[string][]string }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := "invalid product:"
	for _, k := range keys {
		msg += fmt.Sprintf(" %s: %v;", k, e.Errors[k])
	}
	return msg
}

func copyProduct(p *Product) Product {
	cp := *p
	if p.FieldValues != nil {
		cp.FieldValues = make(map[int]string, len(p.FieldValues))
		for k, v := range p.FieldValues {
			cp.FieldValues[k] = v
		}
	}
	return cp
}

// Product returns the product with that number.
func (s *Server) Product(number string) (Product, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.products[number]
	if p == nil {
		return Product{}, false
	}
	return copyProduct(p), true
}

// Products returns every product in creation order.
func (s *Server) Products() []Product {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Product, 0, len(s.st.Products))
	for _, p := range s.st.Products {
		out = append(out, copyProduct(p))
	}
	return out
}

func copyOrder(o *Order) Order {
	cp := *o
	cp.Lines = append([]OrderLine(nil), o.Lines...)
	if o.FieldValues != nil {
		cp.FieldValues = make(map[int]string, len(o.FieldValues))
		for k, v := range o.FieldValues {
			cp.FieldValues[k] = v
		}
	}
	return cp
}

// Orders returns every order in creation order.
func (s *Server) Orders() []Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Order, 0, len(s.st.Orders))
	for _, o := range s.st.Orders {
		out = append(out, copyOrder(o))
	}
	return out
}

// Order returns the order with that number.
func (s *Server) Order(number int) (Order, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o := s.orders[number]
	if o == nil {
		return Order{}, false
	}
	return copyOrder(o), true
}

// Customers returns every customer.
func (s *Server) Customers() []Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Customer, 0, len(s.st.Customers))
	for _, c := range s.st.Customers {
		out = append(out, *c)
	}
	return out
}

// Fields returns every custom field.
func (s *Server) Fields() []Field {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Field, 0, len(s.st.Fields))
	for _, f := range s.st.Fields {
		out = append(out, *f)
	}
	return out
}

// ShopboxFieldIDs returns the ids of the two custom fields the Shopbox
// guide fills ("Shopbox UID felt ID", "Shopbox variasjonsfelt ID"); ok is
// false when the account lacks either.
func (s *Server) ShopboxFieldIDs() (uid, variation int, ok bool) {
	for _, f := range s.Fields() {
		switch f.Name {
		case FieldShopboxUID:
			uid = f.ID
		case FieldShopboxVariation:
			variation = f.ID
		}
	}
	return uid, variation, uid != 0 && variation != 0
}

// Webhooks returns the subscriptions, tokens included.
func (s *Server) Webhooks() []Webhook {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Webhook, 0, len(s.st.Webhooks))
	for _, h := range s.st.Webhooks {
		out = append(out, *h)
	}
	return out
}

// Mails are the confirmation e-mails "sent" by POST /orders/{n}/book with mail.send true.
func (s *Server) Mails() []Mail {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Mail(nil), s.st.Mails...)
}

// Bookings are the POST /orders/{n}/book calls with their mail.send flag.
func (s *Server) Bookings() []Booking {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Booking(nil), s.st.Bookings...)
}

// Snapshot returns the whole state as JSON.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, err := jsonMarshal(s.st)
	if err != nil {
		return nil, fmt.Errorf("snapshot rackbeat sandbox state: %w", err)
	}
	return b, nil
}

// Restore replaces the whole state with a snapshot. It fires no webhooks.
func (s *Server) Restore(snapshot []byte) error {
	var st State
	if err := json.Unmarshal(snapshot, &st); err != nil {
		return fmt.Errorf("restore rackbeat sandbox state: not a snapshot: %w", err)
	}
	if st.Groups == nil && st.Locations == nil && st.Products == nil {
		return errors.New("restore rackbeat sandbox state: the snapshot holds no groups, locations or products; is it a Rackbeat snapshot?")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setState(&st)
	return nil
}

// SaveFile writes a snapshot to path.
func (s *Server) SaveFile(path string) error {
	b, err := s.Snapshot()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("save rackbeat sandbox state: %w", err)
	}
	return nil
}

// SnapshotFile is SaveFile, under the name the other sandboxes use.
func (s *Server) SnapshotFile(path string) error { return s.SaveFile(path) }

// RestoreFile is LoadFile, under the name the other sandboxes use.
func (s *Server) RestoreFile(path string) error { return s.LoadFile(path) }

// LoadFile restores a snapshot from path.
func (s *Server) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load rackbeat sandbox state: %w", err)
	}
	return s.Restore(b)
}

func (s *Server) controlRoutes() http.Handler {
	m := http.NewServeMux()
	m.Handle("/_sandbox/faults", s.faults.ControlHandler())
	m.HandleFunc("/_sandbox/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_sandbox/" {
			notFound(w, "Control route")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"service": "rackbeat", "api": "/api/", "tokens": s.Tokens(),
			"control": []string{"GET|PUT|POST|DELETE /_sandbox/faults", "GET /_sandbox/state", "POST /_sandbox/stock",
				"POST /_sandbox/products", "GET|POST /_sandbox/snapshot", "POST /_sandbox/restore",
				"GET|DELETE /_sandbox/requests", "GET /_sandbox/deliveries"},
		})
	})
	m.HandleFunc("GET /_sandbox/state", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.Snapshot()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	m.HandleFunc("POST /_sandbox/stock", func(w http.ResponseWriter, r *http.Request) {
		var u StockUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			invalid(w, "body", "Want {\"number\",\"location\",\"delta\"|\"quantity\"}: "+err.Error())
			return
		}
		if err := s.ChangeStock(u); err != nil {
			invalid(w, "stock", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"number": u.Number, "stock": s.Stock(u.Number), "available": s.Available(u.Number)})
	})
	m.HandleFunc("POST /_sandbox/products", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		p, err := s.UpsertProduct(b)
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			validation(ve.Errors).write(w)
		case err != nil:
			invalid(w, "body", err.Error())
		default:
			s.mu.RLock()
			view := s.productViewLocked(s.products[p.Number], s.reservedLocked(), true)
			s.mu.RUnlock()
			writeJSON(w, http.StatusOK, map[string]any{"product": view})
		}
	})
	m.HandleFunc("GET /_sandbox/snapshot", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.Snapshot()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	m.HandleFunc("POST /_sandbox/snapshot", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Path string `json:"path"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Path == "" {
			b, err := s.Snapshot()
			if err != nil {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
			return
		}
		if err := s.SaveFile(req.Path); err != nil {
			invalid(w, "path", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"saved": req.Path})
	})
	m.HandleFunc("POST /_sandbox/restore", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 512<<20))
		if err != nil {
			invalid(w, "body", err.Error())
			return
		}
		var req struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(b, &req) == nil && req.Path != "" && !bytes.Contains(b, []byte(`"products"`)) {
			err = s.LoadFile(req.Path)
		} else {
			err = s.Restore(b)
		}
		if err != nil {
			invalid(w, "snapshot", err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"restored": "ok"})
	})
	m.HandleFunc("GET /_sandbox/requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"total": s.RequestCount(), "by_path": s.RequestCounts(), "by_route": s.RequestCountsByRoute()})
	})
	m.HandleFunc("DELETE /_sandbox/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequestCounts()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /_sandbox/deliveries", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"deliveries": s.Deliveries()})
	})
	return m
}

// MoveRandomStock moves a few units of a random stocked product at a random
// location, as goods receipts and counts do, and fires inventory.changed. The
// choice follows the server's seed. It is what the sandbox binary's
// --stock-every calls.
func (s *Server) MoveRandomStock() (number string, location, delta int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.st.Products) == 0 || len(s.st.Locations) == 0 {
		return "", 0, 0, errors.New("move random stock: the account has no products or locations")
	}
	for range 20 {
		p := s.st.Products[s.rng.IntN(len(s.st.Products))]
		if !s.stocked(p.Number) {
			continue
		}
		loc := s.st.Locations[s.rng.IntN(len(s.st.Locations))].Number
		d := s.rng.IntN(11) - 3 // mostly receipts, sometimes a shrinkage
		if d == 0 {
			d = 1
		}
		if cur := s.st.Stock[p.Number][loc]; cur+d < 0 {
			d = -cur
		}
		if err := s.moveStockLocked(p.Number, loc, d, false); err != nil {
			return "", 0, 0, fmt.Errorf("move random stock: %w", err)
		}
		s.emitStockLocked([]string{p.Number})
		return p.Number, loc, d, nil
	}
	return "", 0, 0, errors.New("move random stock: found no product in a group with inventory")
}
