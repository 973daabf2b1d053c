package rackbeat

import (
	"fmt"
	"net/http"
)

// emitStockLocked fires inventory.changed for each product, carrying the
// product with its stock per location.
func (s *Server) emitStockLocked(numbers []string) {
	if len(numbers) == 0 || !s.subscribedLocked(EventInventoryChanged) {
		return
	}
	reserved := s.reservedLocked()
	for _, n := range numbers {
		p := s.products[n]
		if p == nil {
			continue
		}
		data := s.productViewLocked(p, reserved, false)
		data["locations"] = s.stockRowsLocked(n, reserved)
		s.emitLocked(EventInventoryChanged, n, data, nil)
	}
}

func (s *Server) subscribedLocked(event string) bool {
	for _, h := range s.st.Webhooks {
		if h.IsActive && h.Event == event {
			return true
		}
	}
	return false
}

// moveStockLocked changes the stock of number at location by delta (or sets it
// when set is true) after checking both exist.
func (s *Server) moveStockLocked(number string, location, qty int, set bool) error {
	p := s.products[number]
	if p == nil {
		return fmt.Errorf("product %q does not exist", number)
	}
	if s.locationLocked(location) == nil {
		return fmt.Errorf("location %d does not exist", location)
	}
	if g := s.groupLocked(p.Group); g == nil || !g.HasInventory {
		return fmt.Errorf("product %q is in a group without inventory", number)
	}
	if s.st.Stock[number] == nil {
		s.st.Stock[number] = map[int]int{}
	}
	if set {
		s.st.Stock[number][location] = qty
	} else {
		s.st.Stock[number][location] += qty
	}
	return nil
}

func adjustmentView(a *Adjustment) map[string]any {
	lines := make([]any, 0, len(a.Lines))
	for _, l := range a.Lines {
		lines = append(lines, map[string]any{"item_id": l.ItemID, "quantity": l.Quantity, "location": map[string]any{"number": l.Location}})
	}
	return map[string]any{"id": a.ID, "location": map[string]any{"number": a.Location}, "note": a.Note, "lines": lines, "created_at": fmtTime(a.CreatedAt)}
}

func (s *Server) listAdjustments(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	views := make([]any, 0, len(s.st.Adjustments))
	for _, a := range s.st.Adjustments {
		views = append(views, adjustmentView(a))
	}
	s.mu.RUnlock()
	writeList(w, r, "inventory_adjustments", views)
}

func (s *Server) createAdjustment(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &Adjustment{Location: s.defaultLocationLocked(), Note: f.str("note")}
	if f.has("location") {
		a.Location = f.ref("location")
		if s.locationLocked(a.Location) == nil {
			f.err("location", "The selected location is invalid.")
		}
	}
	readLine := func(sub *form) {
		id := ""
		for _, k := range []string{"item_id", "product_id", "number"} {
			if sub.has(k) {
				id = sub.str(k)
				break
			}
		}
		l := AdjustmentLine{ItemID: id, Location: a.Location}
		if p := s.products[id]; p == nil {
			sub.err("item_id", "The selected item id is invalid.")
		} else if g := s.groupLocked(p.Group); g == nil || !g.HasInventory {
			sub.err("item_id", "The selected item does not keep inventory.")
		}
		if sub.required("quantity") {
			l.Quantity = sub.integer("quantity")
		}
		if sub.has("location") {
			l.Location = sub.ref("location")
			if s.locationLocked(l.Location) == nil {
				sub.err("location", "The selected location is invalid.")
			}
		}
		a.Lines = append(a.Lines, l)
	}
	if f.has("lines") {
		items := f.array("lines")
		if len(items) == 0 {
			f.err("lines", "The lines must have at least 1 items.")
		}
		for i, raw := range items {
			if sub, ok := subForm(raw, f.errs, fmt.Sprintf("lines.%d.", i)); ok {
				readLine(sub)
			}
		}
	} else {
		readLine(f)
	}
	if f.errs.write(w) {
		return
	}
	var touched []string
	for _, l := range a.Lines {
		_ = s.moveStockLocked(l.ItemID, l.Location, l.Quantity, false) // validated above
		touched = append(touched, l.ItemID)
	}
	s.st.Seq.Adjustment++
	a.ID, a.CreatedAt = s.st.Seq.Adjustment, s.stamp()
	s.st.Adjustments = append(s.st.Adjustments, a)
	s.emitStockLocked(union(touched, nil))
	writeOne(w, r, http.StatusCreated, "inventory_adjustment", adjustmentView(a))
}
