package faults

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newServer(t *testing.T, inj *Injector) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var handled atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("/_sandbox/faults", inj.ControlHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		handled.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"products":[{"number":"P-1","name":"Mug"}],"total":1}`)
	})
	srv := httptest.NewServer(inj.Middleware(mux))
	t.Cleanup(srv.Close)
	return srv, &handled
}

type outcome struct {
	status int
	body   string
	err    bool
}

func get(t *testing.T, url string) outcome {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return outcome{err: true}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return outcome{status: resp.StatusCode, err: true}
	}
	return outcome{status: resp.StatusCode, body: string(b)}
}

func TestEachKindIsObservable(t *testing.T) {
	cases := []struct {
		rule  Rule
		check func(o outcome) bool
		kind  string
	}{
		{Rule{ErrorRate: 1}, func(o outcome) bool { return o.status == 500 || o.status == 502 || o.status == 503 }, KindError},
		{Rule{RateLimitRate: 1, RetryAfterSeconds: 7}, func(o outcome) bool { return o.status == 429 }, KindRateLimit},
		{Rule{DropRate: 1}, func(o outcome) bool { return o.err }, KindDrop},
		{Rule{DropAfterRate: 1}, func(o outcome) bool { return o.err }, KindDropAfter},
		{Rule{MalformedRate: 1}, func(o outcome) bool { return o.status == 200 && !json.Valid([]byte(o.body)) }, KindMalformed},
		{Rule{TruncateRate: 1}, func(o outcome) bool {
			return o.status == 200 && !json.Valid([]byte(o.body)) && strings.HasPrefix(`{"products":[{"number":"P-1","name":"Mug"}],"total":1}`, o.body) && o.body != ""
		}, KindTruncate},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			inj := New(1)
			srv, handled := newServer(t, inj)
			inj.Set(c.rule)
			if o := get(t, srv.URL+"/api/products"); !c.check(o) {
				t.Fatalf("outcome %+v does not show a %s fault", o, c.kind)
			}
			if got := inj.Counts()[c.kind]; got != 1 {
				t.Fatalf("counts[%s] = %d, want 1", c.kind, got)
			}
			wantHandled := int64(0)
			if c.kind == KindDropAfter || c.kind == KindTruncate {
				wantHandled = 1 // the request's side effects happen, only the answer is damaged
			}
			if handled.Load() != wantHandled {
				t.Fatalf("handler ran %d times, want %d", handled.Load(), wantHandled)
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	inj := New(1)
	srv, _ := newServer(t, inj)
	inj.Set(Rule{RateLimitRate: 1, RetryAfterSeconds: 7})
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("got %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestLatencyIsAddedAndCounted(t *testing.T) {
	inj := New(1)
	srv, _ := newServer(t, inj)
	inj.Set(Rule{Latency: 30 * time.Millisecond})
	start := time.Now()
	if o := get(t, srv.URL+"/x"); o.status != 200 {
		t.Fatalf("status %d", o.status)
	}
	// A lower bound only: the sleep must have happened, however slow the machine.
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("latency not applied")
	}
	if inj.Counts()[KindLatency] != 1 {
		t.Fatal("latency not counted")
	}
}

func TestDeterministicBySeed(t *testing.T) {
	run := func(seed int64) []int {
		inj := New(seed)
		srv, _ := newServer(t, inj)
		inj.Set(Rule{ErrorRate: 0.3, RateLimitRate: 0.2})
		var statuses []int
		for range 60 {
			statuses = append(statuses, get(t, srv.URL+"/api/x").status)
		}
		return statuses
	}
	a, b, c := run(5), run(5), run(6)
	if strings.Join(toStr(a), ",") != strings.Join(toStr(b), ",") {
		t.Fatal("same seed gave different faults")
	}
	if strings.Join(toStr(a), ",") == strings.Join(toStr(c), ",") {
		t.Fatal("different seeds gave identical faults")
	}
	n := 0
	for _, s := range a {
		if s != 200 {
			n++
		}
	}
	if n < 10 || n > 50 {
		t.Fatalf("%d of 60 faulted at a 50%% rate", n)
	}
}

func toStr(xs []int) []string {
	var out []string
	for _, x := range xs {
		out = append(out, http.StatusText(x))
	}
	return out
}

func TestPathMethodTimesAndControlPathsExempt(t *testing.T) {
	inj := New(1)
	srv, _ := newServer(t, inj)
	inj.Set(Rule{Path: "", ErrorRate: 1}, Rule{Path: "/api/products", ErrorRate: 0})
	if o := get(t, srv.URL+"/api/products"); o.status != 200 {
		t.Fatalf("longest prefix rule not chosen: %d", o.status)
	}
	if o := get(t, srv.URL+"/api/orders"); o.status == 200 {
		t.Fatal("catch-all rule not applied")
	}
	if o := get(t, srv.URL+"/_sandbox/state"); o.status != 200 {
		t.Fatalf("control path faulted: %d", o.status)
	}
	inj.Set(Rule{Path: "/api/orders", Method: "POST", ErrorRate: 1})
	if o := get(t, srv.URL+"/api/orders"); o.status != 200 {
		t.Fatalf("GET matched a POST-only rule: %d", o.status)
	}
	resp, err := http.Post(srv.URL+"/api/orders", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Fatalf("POST not faulted: %d", resp.StatusCode)
	}
}

func TestTimesCapsFaults(t *testing.T) {
	inj := New(1)
	srv, _ := newServer(t, inj)
	inj.Set(Rule{ErrorRate: 1, Times: 2})
	var got []int
	for range 4 {
		got = append(got, get(t, srv.URL+"/a").status)
	}
	if got[0] == 200 || got[1] == 200 || got[2] != 200 || got[3] != 200 {
		t.Fatalf("statuses %v, want two faults then success", got)
	}
}

func TestControlHandler(t *testing.T) {
	inj := New(1)
	srv, _ := newServer(t, inj)
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/_sandbox/faults",
		strings.NewReader(`{"seed":9,"rules":[{"path":"/api/","error_rate":0.5,"latency":"250ms"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Rules []map[string]any `json:"rules"`
		Seed  int64            `json:"seed"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(st.Rules) != 1 || st.Rules[0]["latency"] != "250ms" || st.Seed != 9 {
		t.Fatalf("PUT answered %d %+v", resp.StatusCode, st)
	}
	if r := inj.Rules(); len(r) != 1 || r[0].Latency != 250*time.Millisecond || r[0].ErrorRate != 0.5 {
		t.Fatalf("rules not set: %+v", r)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/_sandbox/faults", strings.NewReader(`{"path":"/b","drop_rate":1}`))
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if len(inj.Rules()) != 2 {
		t.Fatal("POST did not add a rule")
	}
	req, _ = http.NewRequest(http.MethodPut, srv.URL+"/_sandbox/faults", strings.NewReader(`{"latency":"soon"}`))
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 422 {
		t.Fatalf("bad latency answered %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodDelete, srv.URL+"/_sandbox/faults", nil)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if len(inj.Rules()) != 0 {
		t.Fatal("DELETE did not clear")
	}
}

func TestDropInRecorderAborts(t *testing.T) {
	defer func() {
		if r := recover(); !errors.Is(r.(error), http.ErrAbortHandler) {
			t.Fatalf("recovered %v", r)
		}
	}()
	drop(httptest.NewRecorder())
}
