package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

type recordingSink struct {
	got  []string
	fail error
}

func (r *recordingSink) ChannelWebhook(_ context.Context, link string, h http.Header, body []byte) error {
	r.got = append(r.got, link+":"+string(body)+":"+h.Get("X-Test"))
	return r.fail
}

func (r *recordingSink) RackbeatWebhook(_ context.Context, _ http.Header, body []byte) error {
	r.got = append(r.got, "rackbeat:"+string(body))
	return r.fail
}

func TestWebhooksReachTheSinkWithHeadersAndBody(t *testing.T) {
	sink := &recordingSink{}
	var seen []int
	s := New(Options{Sink: sink, Observe: func(_ string, code int) { seen = append(seen, code) }})
	req := httptest.NewRequest("POST", "/hooks/webshop", strings.NewReader(`{"id":1}`))
	req.Header.Set("X-Test", "h")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 || sink.got[0] != `webshop:{"id":1}:h` {
		t.Fatalf("%d %v", rec.Code, sink.got)
	}
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/hooks/rackbeat", strings.NewReader(`{"event":"x"}`)))
	if rec.Code != 200 || sink.got[1] != `rackbeat:{"event":"x"}` || len(seen) != 2 {
		t.Fatalf("%d %v %v", rec.Code, sink.got, seen)
	}
}

func TestWebhookAnswersFollowTheErrorClass(t *testing.T) {
	cases := map[int]error{
		401: sdk.Unauthenticated("bad signature"),
		400: sdk.Invalid("body", "not JSON"),
		404: sdk.NotFound("no link"),
		503: sdk.Retryable(0, "store busy"),
	}
	for want, err := range cases {
		s := New(Options{Sink: &recordingSink{fail: err}})
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/hooks/x", strings.NewReader("{}")))
		if rec.Code != want {
			t.Errorf("%v: got %d, want %d", err, rec.Code, want)
		}
		if strings.Contains(rec.Body.String(), err.Error()) {
			t.Errorf("the sender must not see the detail %q", err)
		}
	}
}

func TestOversizedWebhookIsRefusedAndNeverReachesTheSink(t *testing.T) {
	sink := &recordingSink{}
	s := New(Options{Sink: sink, MaxBodyBytes: 10})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/hooks/x", strings.NewReader(strings.Repeat("a", 11))))
	if rec.Code != http.StatusRequestEntityTooLarge || len(sink.got) != 0 {
		t.Fatalf("%d %v", rec.Code, sink.got)
	}
}

func TestReadyzReportsWhyNotReady(t *testing.T) {
	ready := error(sdk.Retryable(0, "link webshop not open"))
	s := New(Options{Sink: &recordingSink{}, Ready: func() error { return ready }})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "webshop") {
		t.Fatalf("%d %q", rec.Code, rec.Body)
	}
	ready = nil
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
}
