package plugin

import (
	"context"

	"github.com/shopbridge/shopbridge/sdk"
)

var _ sdk.RateLimitReporter = (*Link)(nil)

// RateLimitStatus asks the connector how much of the channel's rate limit
// the link has left. A connector that cannot say (built before the call
// existed, or whose link type lacks sdk.RateLimitReporter) answers
// sdk.ClassUnsupported; the link remembers that for as long as it runs on
// that process, so a caller polling every link asks such a connector once,
// not at every scrape. A restart or a swap to another version asks again.
func (l *Link) RateLimitStatus(ctx context.Context) (sdk.RateLimit, error) {
	l.mu.RLock()
	p, gen, no := l.proc, l.gen, l.noRateLimit
	l.mu.RUnlock()
	if no.err != nil && no.proc == p && no.gen == gen {
		return sdk.RateLimit{}, no.err
	}
	rl, err := call(l, "RateLimitStatus", func(r *sdk.RemoteLink) (sdk.RateLimit, error) { return r.RateLimitStatus(ctx) })
	if sdk.ClassOf(err) == sdk.ClassUnsupported {
		l.mu.Lock()
		if l.proc == p && l.gen == gen {
			l.noRateLimit = unsupportedOn{p, gen, err}
		}
		l.mu.Unlock()
	}
	return rl, err
}

// unsupportedOn remembers that a process generation answered a call with
// sdk.ClassUnsupported.
type unsupportedOn struct {
	proc *process
	gen  int
	err  error
}
