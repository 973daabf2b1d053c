package graphql

import (
	"context"
	"math"
	"sync"
	"time"
)

// ThrottleStatus is Shopify's report of the cost bucket, sent in
// extensions.cost.throttleStatus of every answer.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// Pacer keeps a local model of the shop's leaky bucket and makes each
// request wait until the bucket holds its cost. The model is corrected by
// every answer's throttleStatus, so it follows the bucket even when other
// apps spend from it; between answers it refills at the restore rate. A full
// bucket lets a burst through at once; after that requests go out at the
// restore rate, which is the most the shop allows in steady state.
type Pacer struct {
	clock Clock

	mu       sync.Mutex
	max      float64
	rate     float64
	avail    float64 // may go negative: requests queued behind the bucket
	at       time.Time
	observed bool
	inflight float64       // cost reserved by requests not yet answered
	probe    chan struct{} // closed when the first answer arrives
	probing  bool
	fixed    bool               // the rate came from settings and is not learned
	seen     time.Time          // when the last status arrived
	seq      uint64             // numbers the requests that wait, in order
	waiting  map[uint64]float64 // requests waiting for the bucket → their reserved cost
	refunded chan struct{}      // closed when points come back to the model
}

// Stale is how old the last status may be before the next request goes out
// alone to read the bucket again: other apps of the shop spend from the
// same bucket, and an idle client cannot know how much.
const Stale = 10 * time.Second

// Margin is the headroom kept in the bucket on top of a request's cost.
// Shopify reports currentlyAvailable rounded down and restores continuously;
// one point of slack per request absorbs both.
const Margin = 1.0

// NewPacer returns a pacer. A zero rate is learned from the first answer;
// until then a single request goes out alone to read the bucket.
func NewPacer(clock Clock, restoreRate, bucketSize float64) *Pacer {
	if clock == nil {
		clock = RealClock{}
	}
	p := &Pacer{clock: clock, probe: make(chan struct{}), waiting: map[uint64]float64{}, refunded: make(chan struct{})}
	if restoreRate > 0 {
		p.rate, p.fixed = restoreRate, true
		p.max = bucketSize
		if p.max <= 0 {
			p.max = 20 * restoreRate
		}
	}
	return p
}

// Status returns the modelled bucket now.
func (p *Pacer) Status() ThrottleStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refill(p.clock.Now())
	return ThrottleStatus{MaximumAvailable: p.max, CurrentlyAvailable: p.avail, RestoreRate: p.rate}
}

func (p *Pacer) refill(now time.Time) {
	if p.at.IsZero() {
		p.at = now
		return
	}
	if d := now.Sub(p.at); d > 0 {
		p.avail = math.Min(p.max, p.avail+d.Seconds()*p.rate)
		p.at = now
	}
}

// Wait blocks until a request of the given cost may be sent and reserves
// the cost. Every Wait must be followed by Observe or Release.
func (p *Pacer) Wait(ctx context.Context, cost float64) error {
	for {
		p.mu.Lock()
		if p.observed && !p.probing && p.inflight == 0 && p.clock.Now().Sub(p.seen) > Stale {
			p.observed = false
		}
		if !p.observed {
			if p.probing {
				ch := p.probe
				p.mu.Unlock()
				select {
				case <-ch:
					continue
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			// The first request reads the bucket; nothing is known yet.
			p.probing = true
			p.inflight += cost
			p.mu.Unlock()
			return nil
		}
		now := p.clock.Now()
		p.refill(now)
		need := cost + Margin
		if need > p.max {
			need = p.max
		}
		wait := p.deficit(need, p.avail)
		// Reserve now, so that callers behind this one queue after it.
		p.avail -= cost
		p.inflight += cost
		if wait <= 0 {
			p.mu.Unlock()
			return nil
		}
		p.seq++
		me := p.seq
		p.waiting[me] = cost
		p.mu.Unlock()
		return p.queue(ctx, me, cost, need, wait)
	}
}

// queue waits, in turn, until the bucket holds need for the request me,
// which has reserved cost. Its turn comes when the model, without its own
// reservation and those of the requests queued behind it, holds need. The
// wait was computed as if nothing would come back, so a refund (a page
// read reserves its requested cost and usually spends a fraction) wakes it
// to look again.
func (p *Pacer) queue(ctx context.Context, me uint64, cost, need float64, wait time.Duration) error {
	for {
		p.mu.Lock()
		refunded := p.refunded
		p.mu.Unlock()
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			select {
			case <-refunded:
				cancel()
			case <-done:
			}
		}()
		began := p.clock.Now()
		err := p.clock.Sleep(sctx, wait)
		close(done)
		cancel()
		if err != nil && ctx.Err() != nil {
			p.mu.Lock()
			delete(p.waiting, me)
			p.mu.Unlock()
			p.Release(cost)
			return ctx.Err()
		}
		p.mu.Lock()
		if err == nil || p.clock.Now().Sub(began) >= wait {
			// The whole wait passed: the bucket holds what it was
			// computed to hold.
			delete(p.waiting, me)
			p.mu.Unlock()
			return nil
		}
		p.refill(p.clock.Now())
		ahead := p.avail + cost
		for s, c := range p.waiting {
			if s > me {
				ahead += c
			}
		}
		wait = p.deficit(need, ahead)
		if wait <= 0 {
			delete(p.waiting, me)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
	}
}

// giveBack returns n points to the model and wakes the requests waiting
// for the bucket. Called with p.mu held.
func (p *Pacer) giveBack(n float64) {
	if n <= 0 {
		return
	}
	p.refill(p.clock.Now())
	p.avail = math.Min(p.max, p.avail+n)
	close(p.refunded)
	p.refunded = make(chan struct{})
}

// deficit is how long the bucket takes to go from avail to need. Called
// with p.mu held.
func (p *Pacer) deficit(need, avail float64) time.Duration {
	if avail >= need {
		return 0
	}
	return time.Duration((need - avail) / p.rate * float64(time.Second))
}

// Observe corrects the model with an answer's throttle status. cost is what
// Wait reserved for this request; actual is what Shopify charged for it
// (actualQueryCost, already reflected in s), or cost when the answer did
// not say.
func (p *Pacer) Observe(cost, actual float64, s ThrottleStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = math.Max(0, p.inflight-cost)
	// Shopify takes the requested cost while a query runs and gives back
	// what it did not use. The model takes that refund at once: waiting for
	// a status it may adopt (one that arrives with nothing in flight) would
	// charge every read its requested cost as long as requests overlap,
	// and a few overlapping page reads sink the model thousands of points
	// below a bucket that is in fact nearly full.
	if p.observed && actual < cost {
		p.giveBack(cost - math.Max(actual, 0))
	}
	if s.MaximumAvailable <= 0 || (s.RestoreRate <= 0 && !p.fixed) {
		p.endProbe()
		return
	}
	now := p.clock.Now()
	p.max = s.MaximumAvailable
	if !p.fixed {
		p.rate = s.RestoreRate
	}
	// Requests still in flight have not been charged in s as far as we know:
	// keep their cost reserved. Answers may arrive out of order, so an
	// older, higher status must not undo a newer charge: the model only
	// rises to a status when nothing else is in flight, which makes that
	// status the latest one.
	obs := s.CurrentlyAvailable - p.inflight
	p.seen = now
	if !p.observed {
		p.avail, p.at = obs, now
	} else {
		p.refill(now)
		if obs < p.avail || p.inflight == 0 {
			p.avail = obs
		}
	}
	if !p.observed {
		p.observed = true
		p.probing = false
		close(p.probe)
		p.probe = make(chan struct{})
	}
}

// Release gives back a reservation whose request Shopify did not run: it
// never reached Shopify, or the answer (a bare 5xx, an HTTP 429) came from
// before the query was executed.
func (p *Pacer) Release(cost float64) { p.Settle(cost, 0) }

// Settle ends a reservation whose answer carried no cost data. cost is what
// Wait reserved; charged is the caller's estimate of what Shopify took (the
// query's usual actual cost when it probably ran and only its answer was
// lost, 0 when it did not run). The model keeps the last known bucket,
// refilling at the restore rate, and charges only the estimate: keeping the
// whole reservation would make the retry wait for points Shopify never took,
// a refill of the request's requested cost on every fault. An estimate that
// is too low costs at most one THROTTLED answer, whose status corrects the
// model.
func (p *Pacer) Settle(cost, charged float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = math.Max(0, p.inflight-cost)
	// Only a request sent while the bucket was known reserved points: the
	// probe that reads the bucket reserves none, and while it is out no
	// other request is.
	if p.observed {
		p.giveBack(cost - charged)
	}
	p.endProbe()
}

// endProbe lets the next waiter probe when a probe ended without telling us
// the bucket. Called with p.mu held.
func (p *Pacer) endProbe() {
	if p.observed || !p.probing {
		return
	}
	p.probing = false
	close(p.probe)
	p.probe = make(chan struct{})
}

// Throttled records a THROTTLED answer and says how long to wait before the
// request can be sent again.
func (p *Pacer) Throttled(cost float64, s ThrottleStatus) time.Duration {
	p.Observe(cost, cost, s)
	p.mu.Lock()
	defer p.mu.Unlock()
	rate := p.rate
	if rate <= 0 {
		return time.Second
	}
	need := cost + Margin - (p.avail)
	if need <= 0 {
		return 100 * time.Millisecond
	}
	return time.Duration(need / rate * float64(time.Second))
}

// Delay is how long a request of the given cost would wait if it asked
// now; it reserves nothing. Zero while the bucket is not yet known, when the
// next request goes out alone to read it.
func (p *Pacer) Delay(cost float64) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.observed || p.rate <= 0 {
		return 0
	}
	p.refill(p.clock.Now())
	need := math.Min(cost+Margin, p.max)
	if p.avail >= need {
		return 0
	}
	return time.Duration((need - p.avail) / p.rate * float64(time.Second))
}

// Bound is the most requests of this cost per second the restore rate
// allows in steady state.
func (p *Pacer) Bound(cost float64) float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cost <= 0 {
		return math.Inf(1)
	}
	return p.rate / cost
}
