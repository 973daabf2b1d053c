package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// The control API lives under /_sandbox/: no auth, never faulted.
func (s *Server) mountControl(mux *http.ServeMux) {
	mux.Handle("/_sandbox/faults", s.faults.ControlHandler())
	mux.HandleFunc("GET /_sandbox/state", s.serveState)
	mux.HandleFunc("GET /_sandbox/orders", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Orders()) })
	mux.HandleFunc("POST /_sandbox/orders", s.servePlaceOrder)
	mux.HandleFunc("POST /_sandbox/orders/random", func(w http.ResponseWriter, r *http.Request) {
		id, err := s.PlaceRandomOrder()
		s.answerOrder(w, id, err)
	})
	mux.HandleFunc("POST /_sandbox/orders/{id}/{action}", s.serveOrderAction)
	mux.HandleFunc("POST /_sandbox/products", s.serveEditProduct)
	mux.HandleFunc("POST /_sandbox/inventory", s.serveSetLevel)
	mux.HandleFunc("GET /_sandbox/inventory", s.serveGetLevel)
	mux.HandleFunc("GET /_sandbox/throttled", func(w http.ResponseWriter, r *http.Request) {
		avail, maxi, rate := s.ThrottleStatus()
		writeJSON(w, http.StatusOK, map[string]any{"throttled": s.ThrottledCount(), "currently_available": avail, "maximum_available": maxi, "restore_rate": rate})
	})
	mux.HandleFunc("GET /_sandbox/snapshot", func(w http.ResponseWriter, r *http.Request) {
		b, err := s.Snapshot()
		if err != nil {
			controlError(w, http.StatusInternalServerError, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("POST /_sandbox/restore", func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
			controlError(w, http.StatusBadRequest, fmt.Errorf("restore: the body is not a snapshot: %w", err))
			return
		}
		if err := s.Restore(raw); err != nil {
			controlError(w, http.StatusUnprocessableEntity, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"restored": true})
	})
	mux.HandleFunc("POST /_sandbox/approve", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f := r.Form
		to, err := s.Approve(f.Get("client_id"), f.Get("scope"), f.Get("redirect_uri"), f.Get("state"))
		if err != nil {
			controlError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"redirect": to})
	})
	mux.HandleFunc("POST /_sandbox/tokens", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]string{"access_token": s.IssueToken(0)})
	})
	mux.HandleFunc("GET /_sandbox/webhooks", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.sender.Log()) })
	mux.HandleFunc("GET /_sandbox/bulk/{file}", s.serveBulkResult)
}

func controlError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.bucket.fill(s.opts.Now())
	out := map[string]any{
		"shop": s.opts.Shop, "plan": s.opts.Plan, "api_version": APIVersion, "currency": s.opts.Currency,
		"throttle":  map[string]any{"currently_available": s.bucket.avail, "maximum_available": s.bucket.max, "restore_rate": s.bucket.rate, "throttled": s.st.ThrottleCount},
		"locations": s.st.Locations, "products": s.st.Products, "orders": s.st.Orders, "webhook_subscriptions": s.st.Webhooks,
		"bulk_operations": s.st.Bulk,
	}
	b, err := json.Marshal(out)
	s.mu.Unlock()
	if err != nil {
		controlError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (s *Server) answerOrder(w http.ResponseWriter, id string, err error) {
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		controlError(w, status, err)
		return
	}
	s.mu.Lock()
	o := s.findOrder(id)
	sum := summary(o)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, sum)
}

func (s *Server) servePlaceOrder(w http.ResponseWriter, r *http.Request) {
	var in OrderInput
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		controlError(w, http.StatusBadRequest, fmt.Errorf("place order: the body is not an order: %w", err))
		return
	}
	id, err := s.PlaceOrder(in)
	s.answerOrder(w, id, err)
}

func (s *Server) serveOrderAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "pay":
		err = s.PayOrder(id)
	case "fulfill":
		err = s.FulfillOrder(id)
	case "cancel":
		err = s.CancelOrder(id)
	default:
		controlError(w, http.StatusNotFound, fmt.Errorf("order action %q: use pay, fulfill or cancel", r.PathValue("action")))
		return
	}
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		controlError(w, status, err)
		return
	}
	s.mu.Lock()
	sum := summary(s.findOrder(id))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) serveEditProduct(w http.ResponseWriter, r *http.Request) {
	var e ProductEdit
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		controlError(w, http.StatusBadRequest, fmt.Errorf("edit product: the body is not a product edit: %w", err))
		return
	}
	id, err := s.EditProduct(e)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		controlError(w, status, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

// levelRequest sets one quantity; Name defaults to available.
type levelRequest struct {
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}

func (s *Server) serveSetLevel(w http.ResponseWriter, r *http.Request) {
	var in levelRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		controlError(w, http.StatusBadRequest, fmt.Errorf("set level: the body is not {sku, location, name, quantity}: %w", err))
		return
	}
	if in.Name == "" {
		in.Name = "available"
	}
	if in.Location == "" {
		s.mu.Lock()
		in.Location = s.st.Locations[0].Name
		s.mu.Unlock()
	}
	if err := s.SetLevel(in.SKU, in.Location, in.Name, in.Quantity); err != nil {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		controlError(w, status, err)
		return
	}
	q, _ := s.Level(in.SKU, in.Location)
	writeJSON(w, http.StatusOK, q)
}

func (s *Server) serveGetLevel(w http.ResponseWriter, r *http.Request) {
	q, ok := s.Level(r.URL.Query().Get("sku"), r.URL.Query().Get("location"))
	if !ok {
		controlError(w, http.StatusNotFound, errors.New("no such SKU at that location"))
		return
	}
	writeJSON(w, http.StatusOK, q)
}

func (s *Server) serveBulkResult(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("file"), ".jsonl"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	var body []byte
	for _, b := range s.st.Bulk {
		if b.ID == id {
			body = b.Result
		}
	}
	s.mu.Unlock()
	if body == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	_, _ = w.Write(body)
}

// Snapshot is the whole store as JSON; Restore puts it back.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s.st)
	if err != nil {
		return nil, fmt.Errorf("snapshot the Shopify sandbox: %w", err)
	}
	return b, nil
}

// Restore replaces the store with a snapshot taken by Snapshot.
func (s *Server) Restore(b []byte) error {
	st := &store{}
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("restore the Shopify sandbox: the snapshot does not decode: %w", err)
	}
	if st.NextID == nil || len(st.Locations) == 0 {
		return errors.New("restore the Shopify sandbox: the snapshot has no locations; was it taken by Snapshot?")
	}
	st.reindex()
	s.mu.Lock()
	s.st = st
	s.idempotency = map[string]idemEntry{}
	s.mu.Unlock()
	return nil
}

// SnapshotFile writes Snapshot to path; RestoreFile reads it back.
func (s *Server) SnapshotFile(path string) error {
	b, err := s.Snapshot()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write the Shopify sandbox snapshot: %w", err)
	}
	return nil
}

// RestoreFile restores a snapshot written by SnapshotFile.
func (s *Server) RestoreFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the Shopify sandbox snapshot: %w", err)
	}
	return s.Restore(b)
}
