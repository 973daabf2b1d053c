package rackbeat

import (
	"net/http"
	"net/url"
)

func webhookView(h *Webhook, withToken bool) map[string]any {
	v := map[string]any{"id": h.ID, "event": h.Event, "url": h.URL, "is_active": h.IsActive}
	if withToken {
		v["token"] = h.Token
	}
	return v
}

func (s *Server) webhookLocked(w http.ResponseWriter, r *http.Request) *Webhook {
	id, ok := pathInt(w, r, "id", "Webhook")
	if !ok {
		return nil
	}
	for _, h := range s.st.Webhooks {
		if h.ID == id {
			return h
		}
	}
	notFound(w, "Webhook")
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	views := make([]any, 0, len(s.st.Webhooks))
	for _, h := range s.st.Webhooks {
		views = append(views, webhookView(h, false))
	}
	s.mu.RUnlock()
	writeList(w, r, "webhooks", views)
}

func (s *Server) applyWebhookForm(f *form, h *Webhook) {
	if f.has("event") {
		h.Event = f.str("event")
		if !knownEvents[h.Event] {
			f.err("event", "The selected event is invalid.")
		}
	}
	if f.has("url") {
		h.URL = f.str("url")
		u, err := url.Parse(h.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.err("url", "The url format is invalid.")
		}
	}
	if f.has("is_active") {
		h.IsActive = f.boolean("is_active")
	}
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.required("event")
	f.required("url")
	h := &Webhook{IsActive: true}
	s.applyWebhookForm(f, h)
	if f.errs.write(w) {
		return
	}
	s.st.Seq.Webhook++
	h.ID, h.Token = s.st.Seq.Webhook, s.randomToken(32)
	s.st.Webhooks = append(s.st.Webhooks, h)
	writeOne(w, r, http.StatusCreated, "webhook", webhookView(h, true))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.webhookLocked(w, r)
	if h == nil {
		return
	}
	cp := *h
	s.applyWebhookForm(f, &cp)
	if f.errs.write(w) {
		return
	}
	*h = cp
	writeOne(w, r, http.StatusOK, "webhook", webhookView(h, false))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.webhookLocked(w, r)
	if h == nil {
		return
	}
	for i, x := range s.st.Webhooks {
		if x == h {
			s.st.Webhooks = append(s.st.Webhooks[:i], s.st.Webhooks[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
