package delivery

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetriesUntilReceiverRecovers(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Header.Get("X-Token")+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()

	s := NewSender(Options{Backoff: time.Millisecond})
	defer s.Close()
	h := http.Header{}
	h.Set("X-Token", "abc")
	s.Send(srv.URL, h, []byte(`{"event":"x"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != `abc application/json {"event":"x"}` {
		t.Fatalf("received %q", got)
	}
	log := s.Log()
	if len(log) != 3 || log[0].Status != 500 || log[2].Status != 200 || log[2].Attempt != 3 || !log[2].Final || log[0].Final {
		t.Fatalf("log %+v", log)
	}
}

func TestGivesUpAfterAttempts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s := NewSender(Options{Attempts: 3, Backoff: time.Millisecond})
	defer s.Close()
	s.Send(srv.URL, nil, []byte(`{}`))
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d attempts, want 3", calls.Load())
	}
	if l := s.Log(); !l[len(l)-1].Final || l[len(l)-1].OK() {
		t.Fatalf("last attempt %+v", l[len(l)-1])
	}
}

func TestTimeoutCountsAsFailure(t *testing.T) {
	block := make(chan struct{})
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(block)
	s := NewSender(Options{Timeout: 100 * time.Millisecond, Backoff: time.Millisecond, Attempts: 20})
	defer s.Close()
	s.Send(srv.URL, nil, nil)
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Later attempts may also time out on a loaded machine; what matters is
	// that the hung one counted as a failure and a retry got through.
	l := s.Log()
	if len(l) < 2 || l[0].Error == "" || l[0].Final || l[len(l)-1].Status != 200 {
		t.Fatalf("log %+v", l)
	}
}

func TestSendNeverBlocksAndCloseAbandons(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	s := NewSender(Options{Workers: 1})
	for range 1000 {
		s.Send(srv.URL, nil, []byte("{}")) // would deadlock here if Send waited for the worker
	}
	if s.Pending() != 1000 {
		t.Fatalf("pending %d", s.Pending())
	}
	close(release)
	s.Close()
	s.Send(srv.URL, nil, nil)
	if err := s.Flush(context.Background()); err == nil {
		t.Fatal("Flush after Close should say it is closed")
	}
}

func TestFlushHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	}))
	defer srv.Close()
	s := NewSender(Options{Backoff: time.Hour})
	defer s.Close()
	s.Send(srv.URL, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush returned while a retry was still waiting")
	}
}

func TestBackoffIsExponentialAndCapped(t *testing.T) {
	s := &Sender{opts: Options{Backoff: 200 * time.Millisecond, MaxBackoff: time.Second}}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if d := s.delay(i + 1); d != w {
			t.Errorf("delay(%d) = %v, want %v", i+1, d, w)
		}
	}
}
