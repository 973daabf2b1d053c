package shopbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
)

// lineIn is a basket line before validation: a product line names a product
// (and a variance when the product has them); a shipping line names neither.
type lineIn struct {
	Product  int
	Variance int
	Quantity int
	Price    *int64
	Discount int64
	Name     *string
}

// errStatus carries the HTTP status an error should be answered with.
type errStatus struct {
	status int
	err    error
}

func (e *errStatus) Error() string { return e.err.Error() }
func (e *errStatus) Unwrap() error { return e.err }

func unprocessable(format string, a ...any) error {
	return &errStatus{http.StatusUnprocessableEntity, fmt.Errorf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &errStatus{http.StatusNotFound, fmt.Errorf(format, a...)}
}

func statusOf(err error) int {
	var es *errStatus
	if errors.As(err, &es) {
		return es.status
	}
	return http.StatusInternalServerError
}

// placeBasket validates the lines, stores the sale and draws its stock at the
// cash register's branch. Nothing changes when a line is invalid.
func (st *state) placeBasket(register, staff int, externalID *string, lines []lineIn, now int64) (*Basket, error) {
	branch, ok := st.registerTo[register]
	if !ok {
		return nil, unprocessable("cash_register: cash register %d does not exist; GET /branches lists them", register)
	}
	if len(lines) == 0 {
		return nil, unprocessable("basket_items: a sale needs at least one line")
	}
	b := &Basket{
		ExternalID: clonePtr(externalID), CreationTime: now, UpdatedTime: now,
		CashRegister: register, Branch: branch, Staff: staff,
	}
	type move struct {
		unit unitRef
		qty  int
	}
	var moves []move
	for i, l := range lines {
		if l.Quantity <= 0 {
			return nil, unprocessable("basket_items[%d].quantity: must be at least 1", i)
		}
		if l.Discount < 0 {
			return nil, unprocessable("basket_items[%d].discount: must not be negative (øre)", i)
		}
		it := BasketItem{Quantity: l.Quantity, Discount: l.Discount, Name: clonePtr(l.Name)}
		if l.Product == 0 {
			if l.Variance != 0 {
				return nil, unprocessable("basket_items[%d].product_variance: a line without product cannot name a variance", i)
			}
			if it.Name == nil {
				it.Name = ptr("Frakt")
			}
			if l.Price == nil {
				return nil, unprocessable("basket_items[%d].selling_price: required on a line without product", i)
			}
			it.SellingPrice = *l.Price
		} else {
			p := st.productByUID[l.Product]
			if p == nil {
				return nil, unprocessable("basket_items[%d].product: product %d does not exist", i, l.Product)
			}
			it.Product = ptr(p.UID)
			it.SellingPrice = p.SellingPrice
			name := p.Name
			switch {
			case len(p.Variances) > 0:
				v := p.variance(l.Variance)
				if v == nil {
					return nil, unprocessable("basket_items[%d].product_variance: product %d has variances; name one of them", i, p.UID)
				}
				it.ProductVariance = ptr(v.UID)
				it.SKUCode = ptr(v.SKUCode)
				it.SellingPrice = v.SellingPrice
				if v.Name != "" {
					name += " - " + v.Name
				}
				moves = append(moves, move{unitRef{p.UID, v.UID}, l.Quantity})
			case l.Variance != 0:
				return nil, unprocessable("basket_items[%d].product_variance: product %d has no variances", i, p.UID)
			case p.IsBOM:
				it.SKUCode = ptr(p.SKUCode)
				for _, bl := range p.BOMLines {
					ref, ok := st.lookupSKU(bl.SKUCode)
					if !ok {
						return nil, unprocessable("basket_items[%d]: BOM component %q of product %d no longer exists", i, bl.SKUCode, p.UID)
					}
					moves = append(moves, move{ref, l.Quantity * bl.Quantity})
				}
			default:
				it.SKUCode = ptr(p.SKUCode)
				moves = append(moves, move{unitRef{p.UID, 0}, l.Quantity})
			}
			if l.Price != nil {
				it.SellingPrice = *l.Price
			}
			if it.Name == nil {
				it.Name = ptr(name)
			}
		}
		if it.SellingPrice < 0 {
			return nil, unprocessable("basket_items[%d].selling_price: must not be negative (øre incl. VAT)", i)
		}
		b.Total += int64(it.Quantity)*it.SellingPrice - it.Discount
		b.BasketItems = append(b.BasketItems, it)
	}
	b.UID = st.newUID()
	for _, m := range moves {
		row := st.row(branch, m.unit, now)
		row.Quantity -= m.qty
		row.UpdatedTime = now
	}
	st.baskets = append(st.baskets, b)
	st.basketByUID[b.UID] = b
	return b, nil
}

// cancel marks a basket canceled and puts its stock back; a second cancel
// changes nothing and reports changed false.
func (st *state) cancel(uid int, now int64) (b *Basket, changed bool, err error) {
	b = st.basketByUID[uid]
	if b == nil {
		return nil, false, notFound("basket %d not found", uid)
	}
	if b.Canceled {
		return b, false, nil
	}
	b.Canceled = true
	b.UpdatedTime = now
	for _, it := range b.BasketItems {
		if it.Product == nil {
			continue
		}
		p := st.productByUID[*it.Product]
		if p == nil {
			continue
		}
		switch {
		case it.ProductVariance != nil:
			st.row(b.Branch, unitRef{p.UID, *it.ProductVariance}, now).Quantity += it.Quantity
		case p.IsBOM:
			for _, bl := range p.BOMLines {
				if ref, ok := st.lookupSKU(bl.SKUCode); ok {
					st.row(b.Branch, ref, now).Quantity += it.Quantity * bl.Quantity
				}
			}
		default:
			st.row(b.Branch, unitRef{p.UID, 0}, now).Quantity += it.Quantity
		}
	}
	return b, true, nil
}

// push is one delivery prepared under the lock and sent after it.
type push struct {
	url    string
	header http.Header
	body   []byte
}

// pushesFor prepares the deliveries of an event; call it under the lock.
func (s *Server) pushesFor(event string, b *Basket) []push {
	var out []push
	body, err := json.Marshal(cloneBasket(b))
	if err != nil {
		return nil
	}
	for _, wh := range s.st.webhooks {
		if wh.Event != event {
			continue
		}
		h := http.Header{}
		// Random, not a counter: a counter restored from a snapshot would
		// repeat ids, and a receiver that de-duplicates would drop real pushes.
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopbox-Event", event)
		h.Set("X-Shopbox-Delivery", "dlv_"+newToken()[:32])
		h.Set("X-Shopbox-Timestamp", strconv.FormatInt(s.now().Unix(), 10))
		h.Set("X-Shopbox-Signature", Sign(s.opts.PushSecret, body))
		out = append(out, push{wh.URL, h, body})
	}
	return out
}

// Sign is the X-Shopbox-Signature value of a push body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (s *Server) send(ps []push) {
	for _, p := range ps {
		s.sender.Send(p.url, p.header, p.body)
	}
}

// placeBasket is the common path of POST /baskets, the control API and PlaceSale.
func (s *Server) placeBasket(register, staff int, externalID *string, lines []lineIn) (Basket, error) {
	s.mu.Lock()
	b, err := s.st.placeBasket(register, staff, externalID, lines, s.now().Unix())
	var out Basket
	var ps []push
	if err == nil {
		out = cloneBasket(b)
		ps = s.pushesFor(EventBasketCreated, b)
	}
	s.mu.Unlock()
	s.send(ps)
	return out, err
}

func (s *Server) cancelBasketUID(uid int) (Basket, error) {
	s.mu.Lock()
	b, changed, err := s.st.cancel(uid, s.now().Unix())
	var out Basket
	var ps []push
	if err == nil {
		out = cloneBasket(b)
		if changed {
			ps = s.pushesFor(EventBasketCanceled, b)
		}
	}
	s.mu.Unlock()
	s.send(ps)
	return out, err
}

// basketOut is a basket whose items carry product0 when asked.
type basketOut struct {
	Basket
	BasketItems []basketItemOut `json:"basket_items"`
}

type basketItemOut struct {
	BasketItem
	Product0 *productOut `json:"product0,omitempty"`
}

func (st *state) renderBasket(b *Basket, exp map[string]bool) any {
	c := cloneBasket(b)
	if !exp["product0"] {
		return c
	}
	out := basketOut{Basket: c}
	for _, it := range c.BasketItems {
		io := basketItemOut{BasketItem: it}
		if it.Product != nil {
			if p := st.productByUID[*it.Product]; p != nil {
				io.Product0 = ptr(st.renderProduct(p, exp))
			}
		}
		out.BasketItems = append(out.BasketItems, io)
	}
	return out
}

func (s *Server) listBaskets(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	from, fromSet, ok := intParam(w, r, "from")
	if !ok {
		return
	}
	to, toSet, ok := intParam(w, r, "to")
	if !ok {
		return
	}
	since, sinceSet, ok := intParam(w, r, "updated_since")
	if !ok {
		return
	}
	branch, branchSet, ok := intParam(w, r, "branch")
	if !ok {
		return
	}
	exp := expansions(r)
	s.mu.Lock()
	var items []*Basket
	for _, b := range s.st.baskets {
		if (fromSet && b.CreationTime < from) || (toSet && b.CreationTime > to) ||
			(sinceSet && b.UpdatedTime < since) || (branchSet && int64(b.Branch) != branch) {
			continue
		}
		items = append(items, b)
	}
	ans := buildList(r, pg, items, func(b *Basket) any { return s.st.renderBasket(b, exp) })
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getBasket(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	exp := expansions(r)
	s.mu.Lock()
	b := s.st.basketByUID[uid]
	var out any
	if b != nil {
		out = s.st.renderBasket(b, exp)
	}
	s.mu.Unlock()
	if b == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("basket %d not found", uid))
		return
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) createBasket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ExternalID   *string `json:"external_id"`
		CashRegister int     `json:"cash_register"`
		Staff        int     `json:"staff"`
		BasketItems  []struct {
			Product         *int        `json:"product"`
			ProductVariance *int        `json:"product_variance"`
			Quantity        int         `json:"quantity"`
			SellingPrice    *int64      `json:"selling_price"`
			Discount        json.Number `json:"discount"`
			Name            *string     `json:"name"`
		} `json:"basket_items"`
	}
	if !decode(w, r, &in) {
		return
	}
	lines := make([]lineIn, len(in.BasketItems))
	for i, it := range in.BasketItems {
		d, err := wholeOre(it.Discount)
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("basket_items[%d].discount: %v", i, err))
			return
		}
		lines[i] = lineIn{Product: deref(it.Product), Variance: deref(it.ProductVariance), Quantity: it.Quantity,
			Price: it.SellingPrice, Discount: d, Name: it.Name}
	}
	b, err := s.placeBasket(in.CashRegister, in.Staff, in.ExternalID, lines)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, http.StatusCreated, b)
}

// wholeOre reads a discount that may be written 0.0 (as the real client
// code does) but must be a whole number of øre.
func wholeOre(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("%s is not a whole number of øre", n)
	}
	return r.Num().Int64(), nil
}

func (s *Server) cancelBasket(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	b, err := s.cancelBasketUID(uid)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, http.StatusOK, b)
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ans := buildList(r, pg, s.st.webhooks, func(wh *Webhook) any { return *wh })
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Event string `json:"event"`
		URL   string `json:"url"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Event != EventBasketCreated && in.Event != EventBasketCanceled {
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("event: %q is not one of %s, %s", in.Event, EventBasketCreated, EventBasketCanceled))
		return
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeError(w, http.StatusUnprocessableEntity, "url: must be an absolute http or https URL")
		return
	}
	s.mu.Lock()
	wh := &Webhook{UID: s.st.newUID(), Event: in.Event, URL: in.URL}
	s.st.webhooks = append(s.st.webhooks, wh)
	out := *wh
	s.mu.Unlock()
	writeData(w, http.StatusCreated, out)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	found := false
	for i, wh := range s.st.webhooks {
		if wh.UID == uid {
			s.st.webhooks = append(s.st.webhooks[:i:i], s.st.webhooks[i+1:]...)
			found = true
			break
		}
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, fmt.Sprintf("webhook %d not found", uid))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
