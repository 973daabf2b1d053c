package shopify

import (
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// window is the cursor of a read by updated_at, the lesson of connectors in
// the field: an id cursor misses updates, so each run reads
// since < updated_at <= upper with upper fixed when the run starts, pages
// through that with Shopify's own cursor, and the next run starts an overlap
// window before this one's upper bound, skipping what it has already seen.
type window struct {
	Since time.Time `json:"s,omitempty"` // exclusive lower bound of this run; zero reads from the start
	Upper time.Time `json:"u,omitempty"` // inclusive upper bound; zero until the run starts
	After string    `json:"a,omitempty"` // Shopify's cursor inside the run
	// Seen are the objects of the overlap window the previous run handed
	// out, as digests of id and updated_at: read again, they are skipped.
	Seen []string `json:"d,omitempty"`
	// Next collects, during a run, the digests of objects in this run's own
	// overlap window, to become the next run's Seen.
	Next []string `json:"n,omitempty"`
	// Bulk, when set, is the bulk operation this run reads, and Skip how
	// many of its objects were handed out already.
	Bulk string `json:"b,omitempty"`
	Skip int    `json:"k,omitempty"`
}

// maxSeen bounds the digests a cursor carries; past it, some objects of the
// overlap may be handed out twice, which the host tolerates (it compares
// hashes), whereas losing one it would not.
const maxSeen = 5000

func digest(id string, updated time.Time) string {
	h := sha256.Sum256([]byte(id + "|" + updated.UTC().Format(time.RFC3339)))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

// start fixes the run's upper bound. A second of lag keeps the current,
// still-changing second out of the run.
func (w *window) start(now time.Time) {
	if w.Upper.IsZero() {
		w.Upper = now.UTC().Truncate(time.Second).Add(-time.Second)
	}
}

// filter is the search query of the run.
func (w *window) filter() string {
	q := "updated_at:<='" + w.Upper.Format(time.RFC3339) + "'"
	if !w.Since.IsZero() {
		q = "updated_at:>'" + w.Since.Format(time.RFC3339) + "' " + q
	}
	return q
}

// admit reports whether an object read in this run is new, and remembers
// it for the next run when it falls in the overlap window.
func (w *window) admit(id string, updated time.Time, overlap time.Duration) bool {
	d := digest(id, updated)
	for _, s := range w.Seen {
		if s == d {
			return false
		}
	}
	if updated.After(w.Upper.Add(-overlap)) && len(w.Next) < maxSeen {
		w.Next = append(w.Next, d)
	}
	return true
}

// finish turns the cursor of a completed run into the start of the next.
func (w window) finish(overlap time.Duration) window {
	since := w.Upper.Add(-overlap)
	if since.Before(w.Since) {
		since = w.Since
	}
	return window{Since: since, Seen: w.Next}
}
