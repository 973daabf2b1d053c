package shopbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// overlapSeconds is how far an incremental read reaches back before the
// previous run's start, for writes the API stamps before it commits them.
// What the overlap brings back a second time is dropped by the seen set.
const overlapSeconds = 60

// maxSeen bounds the seen set a cursor carries. Past it, records in the
// overlap are read again: a harmless repeat, never a loss.
const maxSeen = 1000

// seenSet maps a uid to the updated_time of the version handed out.
type seenSet map[int]int64

// remember records a handed-out version for the next run's overlap. Only
// versions stamped before the second in which they were read are recorded:
// a later change in that same second would carry the same stamp, and
// dropping it would lose it.
func (s seenSet) remember(uid int, stamp, readAt, from int64) {
	if stamp >= from && stamp < readAt && len(s) < maxSeen {
		s[uid] = stamp
	}
}

// maxSameSecondWaits bounds how often one read waits for the second of its
// newest stamps to pass; past it, such records are handed out unrecorded
// and come again in the next run.
const maxSameSecondWaits = 2

// stampedAt reports whether any item carries a stamp of the read's second
// (or later).
func stampedAt[T any](readAt int64, items []T, stamp func(T) int64) bool {
	for _, it := range items {
		if stamp(it) >= readAt {
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// productCursor is where a product read stands. Page 0 means "start a run".
type productCursor struct {
	Since *int64  `json:"since,omitempty"` // updated_since of the run; nil reads all
	Run   int64   `json:"run,omitempty"`   // server time at the run's start
	Page  int     `json:"page,omitempty"`  // next page to read
	After int     `json:"after,omitempty"` // last uid handed out (products come by uid)
	Total int     `json:"total,omitempty"` // the list's total when the page was read
	Seen  seenSet `json:"seen,omitempty"`  // handed out by the previous run, in the overlap
	Next  seenSet `json:"next,omitempty"`  // handed out by this run, for the next one
}

// orderCursor is where an order read stands: a window of creation times
// with a fixed upper bound per run, then the older sales changed since
// the window opened (cancellations).
type orderCursor struct {
	From  int64   `json:"from"`            // window start, inclusive
	To    int64   `json:"to,omitempty"`    // fixed upper bound of the run; 0 = start a run
	Phase int     `json:"phase,omitempty"` // 0 created in the window, 1 changed since From
	Page  int     `json:"page,omitempty"`
	After int     `json:"after,omitempty"` // last uid handed out in this phase
	Seen  seenSet `json:"seen,omitempty"`
	Next  seenSet `json:"next,omitempty"`
}

// stockCursor is where a stock read stands: a branch and a page of it.
type stockCursor struct {
	Branch int `json:"branch"` // index into the sorted branch list
	Page   int `json:"page"`
}

func encodeCursor(kind string, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("shopbox: cursor does not encode: " + err.Error())
	}
	return kind + "1." + base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(kind, s string, v any) error {
	if s == "" {
		return nil
	}
	body, ok := strings.CutPrefix(s, kind+"1.")
	if !ok {
		return sdk.Invalid("cursor", "is not a Shopbox %s cursor; start again with an empty cursor", kindName[kind])
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		return sdk.Invalid("cursor", "is not a readable Shopbox %s cursor (%v); start again with an empty cursor", kindName[kind], err)
	}
	return nil
}

var kindName = map[string]string{"p": "product", "o": "order", "s": "stock"}
