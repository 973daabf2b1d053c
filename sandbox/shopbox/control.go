package shopbox

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
)

// Sale is a sale placed through the control API or PlaceSale: items by SKU.
type Sale struct {
	// CashRegister is the register uid; 0 takes the first register of the first branch.
	CashRegister int        `json:"cash_register"`
	Staff        int        `json:"staff"`
	ExternalID   *string    `json:"external_id"`
	Items        []SaleItem `json:"items"`
	// Shipping in øre incl. VAT adds a shipping line when not 0.
	Shipping     int64  `json:"shipping"`
	ShippingName string `json:"shipping_name"` // default "Frakt"
}

// SaleItem is one line of a Sale.
type SaleItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// Discount is the line's discount in øre.
	Discount int64 `json:"discount"`
	// Price overrides the unit price in øre incl. VAT.
	Price *int64 `json:"price"`
}

// PlaceSale rings up a sale at a cash register, draws stock at its branch and
// pushes basket.created to the registered URLs.
func (s *Server) PlaceSale(sale Sale) (Basket, error) {
	s.mu.Lock()
	register := sale.CashRegister
	if register == 0 && len(s.st.branches) > 0 && len(s.st.branches[0].CashRegisters) > 0 {
		register = s.st.branches[0].CashRegisters[0].UID
	}
	lines := make([]lineIn, 0, len(sale.Items)+1)
	for i, it := range sale.Items {
		ref, ok := s.st.lookupSKU(it.SKU)
		if !ok {
			s.mu.Unlock()
			return Basket{}, unprocessable("items[%d].sku: no product or variance has SKU %q", i, it.SKU)
		}
		lines = append(lines, lineIn{Product: ref.Product, Variance: ref.Variance, Quantity: it.Quantity, Price: it.Price, Discount: it.Discount})
	}
	s.mu.Unlock()
	if sale.Shipping != 0 {
		name := sale.ShippingName
		if name == "" {
			name = "Frakt"
		}
		lines = append(lines, lineIn{Quantity: 1, Price: ptr(sale.Shipping), Name: ptr(name)})
	}
	staff := sale.Staff
	if staff == 0 {
		staff = 1
	}
	return s.placeBasket(register, staff, sale.ExternalID, lines)
}

// PlaceRandomSale places a plausible sale: a random register, one to three
// stocked lines, sometimes a discount and sometimes shipping. The sequence
// follows Options.Seed (and survives snapshot/restore). It returns the basket
// uid, or 0 when there is nothing to sell.
func (s *Server) PlaceRandomSale() int {
	s.mu.Lock()
	rng := rand.New(s.st.rng)
	var registers []int
	for _, b := range s.st.branches {
		for _, r := range b.CashRegisters {
			registers = append(registers, r.UID)
		}
	}
	var sellable []*Product
	for _, p := range s.st.products {
		if !p.IsBOM {
			sellable = append(sellable, p)
		}
	}
	if len(registers) == 0 || len(sellable) == 0 {
		s.mu.Unlock()
		return 0
	}
	register := registers[rng.IntN(len(registers))]
	n := 1 + rng.IntN(3)
	var lines []lineIn
	for range n {
		p := sellable[rng.IntN(len(sellable))]
		l := lineIn{Product: p.UID, Quantity: 1 + rng.IntN(2)}
		price := p.SellingPrice
		if len(p.Variances) > 0 {
			v := p.Variances[rng.IntN(len(p.Variances))]
			l.Variance, price = v.UID, v.SellingPrice
		}
		if rng.IntN(5) == 0 {
			l.Discount = int64(l.Quantity) * price / 10
		}
		lines = append(lines, l)
	}
	if rng.IntN(3) == 0 {
		lines = append(lines, lineIn{Quantity: 1, Price: ptr(int64(4900)), Name: ptr("Frakt")})
	}
	s.mu.Unlock()
	b, err := s.placeBasket(register, 1, nil, lines)
	if err != nil {
		return 0
	}
	return b.UID
}

// CancelBasket cancels a sale, puts its stock back and pushes basket.canceled;
// cancelling twice changes nothing.
func (s *Server) CancelBasket(uid int) (Basket, error) {
	return s.cancelBasketUID(uid)
}

// Stock is the quantity of a SKU at a branch (branch uid), or summed over all
// branches when branch is 0; an unknown SKU has 0.
func (s *Server) Stock(sku string, branch int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.st.lookupSKU(sku)
	if !ok {
		return 0
	}
	total := 0
	for _, b := range s.st.branches {
		if branch == 0 || b.UID == branch {
			if r := s.st.invByKey[invKey{b.UID, ref.Product, ref.Variance}]; r != nil {
				total += r.Quantity
			}
		}
	}
	return total
}

// SetStock sets the quantity of a SKU at a branch as a stock count at the till
// would: it is not an API write and is not recorded in InventoryWrites.
func (s *Server) SetStock(sku string, branch, qty int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref, ok := s.st.lookupSKU(sku)
	if !ok {
		return unprocessable("sku: no product or variance has SKU %q", sku)
	}
	if s.st.branchByUID[branch] == nil {
		return unprocessable("branch: branch %d does not exist", branch)
	}
	if p := s.st.productByUID[ref.Product]; p.IsBOM {
		return unprocessable("sku: %q is a BOM product and has no stock of its own", sku)
	}
	now := s.now().Unix()
	r := s.st.row(branch, ref, now)
	r.Quantity, r.UpdatedTime = qty, now
	return nil
}

// DeleteProduct removes a product and its stock, as if deleted in the Shopbox
// dashboard; sales that sold it still name its uid.
func (s *Server) DeleteProduct(uid int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.deleteProduct(uid) {
		return notFound("product %d not found", uid)
	}
	return nil
}

// Products lists every product with its variances, in uid order.
func (s *Server) Products() []ProductWithVariances {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProductWithVariances, len(s.st.products))
	for i, p := range s.st.products {
		out[i] = cloneProduct(p)
	}
	return out
}

// Baskets lists every sale, in uid order.
func (s *Server) Baskets() []Basket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Basket, len(s.st.baskets))
	for i, b := range s.st.baskets {
		out[i] = cloneBasket(b)
	}
	return out
}

// Branches lists the branches with their cash registers.
func (s *Server) Branches() []Branch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Branch, len(s.st.branches))
	for i, b := range s.st.branches {
		out[i] = cloneBranch(b).(Branch)
	}
	return out
}

// Tags lists the categories.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Tag, len(s.st.tags))
	for i, t := range s.st.tags {
		out[i] = *t
	}
	return out
}

// InventoryWrites lists every POST /product-inventories with its note.
func (s *Server) InventoryWrites() []InventoryWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]InventoryWrite, len(s.st.invWrites))
	for i, w := range s.st.invWrites {
		w.ProductVariance = clonePtr(w.ProductVariance)
		out[i] = w
	}
	return out
}

// ExpireTokens makes every access token issued so far invalid, as if its
// time had run out; the next request with one gets 401.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.tokens {
		s.tokens[tok] = s.now()
	}
}

// LoginCount is the number of successful logins.
func (s *Server) LoginCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loginCount
}

// Snapshot serialises the catalogue, stock, sales, webhooks and the random
// sale sequence; access tokens and counters are not part of it.
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.marshal()
}

// Restore replaces the state with a snapshot taken by Snapshot.
func (s *Server) Restore(data []byte) error {
	st, err := unmarshalState(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
	return nil
}

// SnapshotFile writes Snapshot to path.
func (s *Server) SnapshotFile(path string) error {
	data, err := s.Snapshot()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing the Shopbox sandbox snapshot: %w", err)
	}
	return nil
}

// RestoreFile restores a snapshot written by SnapshotFile.
func (s *Server) RestoreFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the Shopbox sandbox snapshot: %w", err)
	}
	return s.Restore(data)
}

// stateSummary is GET /_sandbox/state.
type stateSummary struct {
	Email           string           `json:"email"`
	ClientID        int              `json:"client"`
	Branches        []Branch         `json:"branches"`
	Tags            []Tag            `json:"tags"`
	Products        int              `json:"products"`
	Variances       int              `json:"variances"`
	Baskets         int              `json:"baskets"`
	Canceled        int              `json:"canceled_baskets"`
	Webhooks        []Webhook        `json:"webhooks"`
	LoginCount      int              `json:"login_count"`
	LoginFailures   int              `json:"login_failures"`
	InventoryWrites []InventoryWrite `json:"inventory_writes"`
	Faults          map[string]int   `json:"faults"`
}

func (s *Server) controlRoutes(mux *http.ServeMux) {
	fh := s.faults.ControlHandler()
	mux.Handle("/_sandbox/faults", fh)
	mux.Handle("/_sandbox/faults/", fh)
	mux.HandleFunc("GET /_sandbox/state", s.ctlState)
	mux.HandleFunc("POST /_sandbox/baskets", s.ctlPlaceSale)
	mux.HandleFunc("POST /_sandbox/baskets/random", s.ctlRandomSale)
	mux.HandleFunc("POST /_sandbox/baskets/{uid}/cancel", s.ctlCancel)
	mux.HandleFunc("POST /_sandbox/expire-tokens", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireTokens()
		writeJSON(w, http.StatusOK, map[string]bool{"expired": true})
	})
	// Products change through the API's own create-or-update, without auth.
	mux.HandleFunc("POST /_sandbox/products/create-or-update", s.createOrUpdateProduct)
	mux.HandleFunc("DELETE /_sandbox/products/{uid}", func(w http.ResponseWriter, r *http.Request) {
		uid, ok := pathUID(w, r)
		if !ok {
			return
		}
		if err := s.DeleteProduct(uid); err != nil {
			writeError(w, statusOf(err), err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_sandbox/stock", s.ctlGetStock)
	mux.HandleFunc("POST /_sandbox/stock", s.ctlSetStock)
	mux.HandleFunc("GET /_sandbox/inventory-writes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.InventoryWrites())
	})
	mux.HandleFunc("GET /_sandbox/pushes", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.PushLog())
	})
	mux.HandleFunc("GET /_sandbox/snapshot", func(w http.ResponseWriter, r *http.Request) {
		data, err := s.Snapshot()
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(data)
	})
	mux.HandleFunc("POST /_sandbox/restore", func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<30))
		if err == nil {
			err = s.Restore(data)
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"restored": true})
	})
	mux.HandleFunc("/_sandbox/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such control endpoint: "+r.Method+" "+r.URL.Path)
	})
}

func (s *Server) ctlState(w http.ResponseWriter, r *http.Request) {
	sum := stateSummary{Email: s.opts.Email, ClientID: s.opts.ClientID, Branches: s.Branches(), Tags: s.Tags(),
		InventoryWrites: s.InventoryWrites(), Faults: s.faults.Counts()}
	s.mu.Lock()
	sum.Products = len(s.st.products)
	for _, p := range s.st.products {
		sum.Variances += len(p.Variances)
	}
	sum.Baskets = len(s.st.baskets)
	for _, b := range s.st.baskets {
		if b.Canceled {
			sum.Canceled++
		}
	}
	sum.Webhooks = []Webhook{}
	for _, wh := range s.st.webhooks {
		sum.Webhooks = append(sum.Webhooks, *wh)
	}
	sum.LoginCount, sum.LoginFailures = s.loginCount, s.loginFails
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) ctlPlaceSale(w http.ResponseWriter, r *http.Request) {
	var sale Sale
	if !decode(w, r, &sale) {
		return
	}
	b, err := s.PlaceSale(sale)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) ctlRandomSale(w http.ResponseWriter, r *http.Request) {
	uid := s.PlaceRandomSale()
	if uid == 0 {
		writeError(w, http.StatusUnprocessableEntity, "nothing to sell: the sandbox has no products or no cash registers")
		return
	}
	s.mu.Lock()
	b := cloneBasket(s.st.basketByUID[uid])
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) ctlCancel(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	b, err := s.CancelBasket(uid)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, b)
}

type stockLevel struct {
	SKU      string `json:"sku"`
	Branch   int    `json:"branch"`
	Quantity int    `json:"quantity"`
}

// ctlGetStock answers GET /_sandbox/stock?sku=&branch= with one level per
// branch (all branches when branch is absent).
func (s *Server) ctlGetStock(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	if sku == "" {
		writeError(w, http.StatusBadRequest, "sku query parameter required")
		return
	}
	branch, _ := strconv.Atoi(r.URL.Query().Get("branch"))
	var out []stockLevel
	for _, b := range s.Branches() {
		if branch == 0 || b.UID == branch {
			out = append(out, stockLevel{SKU: sku, Branch: b.UID, Quantity: s.Stock(sku, b.UID)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ctlSetStock(w http.ResponseWriter, r *http.Request) {
	var in stockLevel
	if !decode(w, r, &in) {
		return
	}
	if err := s.SetStock(in.SKU, in.Branch, in.Quantity); err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, in)
}
