package schedule

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job kinds, one per flow.
const (
	KindOrdersImport      = "orders.import"
	KindOrdersPull        = "orders.pull"
	KindProductsPull      = "products.pull"
	KindProductsPush      = "products.push"
	KindStockPush         = "stock.push"
	KindStockReconcile    = "stock.reconcile"
	KindProductsReconcile = "products.reconcile"
	KindInitialSync       = "initial_sync"
)

// Kinds lists every job kind.
var Kinds = []string{KindOrdersImport, KindOrdersPull, KindProductsPull, KindProductsPush,
	KindStockPush, KindStockReconcile, KindProductsReconcile, KindInitialSync}

// Args are the typed arguments of one job; the types below are the only
// implementations.
type Args interface {
	river.JobArgs
	// LinkID is the link the job works for.
	LinkID() string
	// JobKey names the item within the link (an order id, a SKU), or is
	// empty for link-wide jobs.
	JobKey() string
	isArgs()
}

// notFinished is the uniqueness window "while the job is not done": River
// requires available, pending, running and scheduled; retryable is added so a
// failing job is not doubled by a new enqueue between its attempts.
var notFinished = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

var uniqueWhileNotFinished = river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: notFinished}}

// OrdersImport imports one channel order into Rackbeat. At most one job per
// (link, channel order id, force) exists until it completes.
type OrdersImport struct {
	Link           string `json:"link" river:"unique"`
	ChannelOrderID string `json:"channel_order_id" river:"unique"`
	// Force asks for a duplicate import an operator insisted on.
	Force bool `json:"force,omitempty" river:"unique"`
	// Source says what caused the import: "webhook", "pull", "cli", "heal".
	Source string `json:"source,omitempty"`
}

// OrdersPull reads recent channel orders by cursor (the safety net).
type OrdersPull struct {
	Link string `json:"link" river:"unique"`
}

// ProductsPull reads channel products into Rackbeat from the link's saved
// cursor. Pulls of one link coalesce like StockPush: requests while one
// waits are that one, and a request (Enqueue) while one runs becomes one
// follow-up, since the running pull may have read past the change that
// caused it. The periodic pull, which River inserts itself, gets no
// follow-up: it is dropped while an equal pull waits or runs.
type ProductsPull struct {
	Link string `json:"link" river:"unique"`
	// After is set by the scheduler on a follow-up: the id of the pull
	// that was running, or that was waiting but could not be pushed back
	// any further for a delayed request (see EnqueueTx); leave it zero.
	After int64 `json:"after,omitempty" river:"unique"`
	// Source says what asked for the pull first: "webhook", or empty for
	// the periodic pull. Requests coalesced into it keep the first source.
	Source string `json:"source,omitempty"`
	// Delay asks the pull to start no sooner than Delay after it is
	// enqueued, for a channel whose cursor trails the clock. The job waits
	// in the queue as scheduled, holding no worker; a waiting pull that
	// absorbs the request is pushed back as far (see EnqueueTx). River
	// moves scheduled jobs to the queue on its scheduler's pass, every 5 s
	// on the leader host, so the pull starts up to that much later than
	// due. Not stored: the job's scheduled time records it.
	Delay time.Duration `json:"-"`
}

// ProductsPush writes one Rackbeat product to the channel. Pushes of one SKU
// coalesce like StockPush.
type ProductsPush struct {
	Link string `json:"link" river:"unique"`
	SKU  string `json:"sku" river:"unique"`
	// After is set by the scheduler on a push enqueued while another push of
	// the same SKU was running; leave it zero.
	After int64 `json:"after,omitempty" river:"unique"`
}

// StockPush writes one SKU's stock to the channel. The handler must read the
// current level when it runs: pushes enqueued while one is waiting coalesce
// into it, and a push enqueued while one is running becomes one follow-up.
type StockPush struct {
	Link string `json:"link" river:"unique"`
	SKU  string `json:"sku" river:"unique"`
	// After: see ProductsPush.After.
	After int64 `json:"after,omitempty" river:"unique"`
}

// StockReconcile compares stock on both sides and fixes drift.
type StockReconcile struct {
	Link string `json:"link" river:"unique"`
}

// ProductsReconcile compares catalogues and fixes drift.
type ProductsReconcile struct {
	Link string `json:"link" river:"unique"`
}

// InitialSync runs the link's once-only initial sync.
type InitialSync struct {
	Link string `json:"link" river:"unique"`
}

func (OrdersImport) Kind() string      { return KindOrdersImport }
func (OrdersPull) Kind() string        { return KindOrdersPull }
func (ProductsPull) Kind() string      { return KindProductsPull }
func (ProductsPush) Kind() string      { return KindProductsPush }
func (StockPush) Kind() string         { return KindStockPush }
func (StockReconcile) Kind() string    { return KindStockReconcile }
func (ProductsReconcile) Kind() string { return KindProductsReconcile }
func (InitialSync) Kind() string       { return KindInitialSync }

func (a OrdersImport) LinkID() string      { return a.Link }
func (a OrdersPull) LinkID() string        { return a.Link }
func (a ProductsPull) LinkID() string      { return a.Link }
func (a ProductsPush) LinkID() string      { return a.Link }
func (a StockPush) LinkID() string         { return a.Link }
func (a StockReconcile) LinkID() string    { return a.Link }
func (a ProductsReconcile) LinkID() string { return a.Link }
func (a InitialSync) LinkID() string       { return a.Link }

func (a OrdersImport) JobKey() string    { return a.ChannelOrderID }
func (OrdersPull) JobKey() string        { return "" }
func (ProductsPull) JobKey() string      { return "" }
func (a ProductsPush) JobKey() string    { return a.SKU }
func (a StockPush) JobKey() string       { return a.SKU }
func (StockReconcile) JobKey() string    { return "" }
func (ProductsReconcile) JobKey() string { return "" }
func (InitialSync) JobKey() string       { return "" }

func (OrdersImport) isArgs()      {}
func (OrdersPull) isArgs()        {}
func (ProductsPull) isArgs()      {}
func (ProductsPush) isArgs()      {}
func (StockPush) isArgs()         {}
func (StockReconcile) isArgs()    {}
func (ProductsReconcile) isArgs() {}
func (InitialSync) isArgs()       {}

// Every kind is unique while not finished: a second enqueue of the same
// import, push, pull or reconciliation while one waits is the same work.
func (OrdersImport) InsertOpts() river.InsertOpts      { return uniqueWhileNotFinished }
func (OrdersPull) InsertOpts() river.InsertOpts        { return uniqueWhileNotFinished }
func (ProductsPull) InsertOpts() river.InsertOpts      { return uniqueWhileNotFinished }
func (ProductsPush) InsertOpts() river.InsertOpts      { return uniqueWhileNotFinished }
func (StockPush) InsertOpts() river.InsertOpts         { return uniqueWhileNotFinished }
func (StockReconcile) InsertOpts() river.InsertOpts    { return uniqueWhileNotFinished }
func (ProductsReconcile) InsertOpts() river.InsertOpts { return uniqueWhileNotFinished }
func (InitialSync) InsertOpts() river.InsertOpts       { return uniqueWhileNotFinished }

// coalescing is implemented by the pushes and the products pull, whose
// follow-up jobs carry the id of the job they follow.
type coalescing interface {
	after(id int64) Args
}

func (a ProductsPull) after(id int64) Args { a.After = id; return a }
func (a ProductsPush) after(id int64) Args { a.After = id; return a }
func (a StockPush) after(id int64) Args    { a.After = id; return a }

// delayed is implemented by arguments that can ask to start a while after
// they are enqueued; zero starts at once.
type delayed interface {
	startDelay() time.Duration
}

func (a ProductsPull) startDelay() time.Duration { return a.Delay }

// longRunning kinds walk a whole catalogue; the others touch one item.
func longRunning(kind string) bool {
	switch kind {
	case KindOrdersImport, KindProductsPush, KindStockPush:
		return false
	}
	return true
}

// ArgsFor builds the arguments of a link-wide kind (the pulls, the
// reconciliations and the initial sync), as periodic schedules need.
func ArgsFor(kind, link string) (Args, error) {
	switch kind {
	case KindOrdersPull:
		return OrdersPull{Link: link}, nil
	case KindProductsPull:
		return ProductsPull{Link: link}, nil
	case KindStockReconcile:
		return StockReconcile{Link: link}, nil
	case KindProductsReconcile:
		return ProductsReconcile{Link: link}, nil
	case KindInitialSync:
		return InitialSync{Link: link}, nil
	}
	return nil, fmt.Errorf("schedule: %q is not a link-wide job kind (one of %s, %s, %s, %s, %s)", kind,
		KindOrdersPull, KindProductsPull, KindStockReconcile, KindProductsReconcile, KindInitialSync)
}

// ArgsFromQuarantine rebuilds a job's arguments from a quarantined job's kind
// and payload, for a retry. A follow-up's After is dropped (the job it
// followed is long gone), also for a pull, which is rebuilt from its link.
func ArgsFromQuarantine(kind string, payload []byte) (Args, error) {
	var a Args
	var err error
	switch kind {
	case KindOrdersImport:
		var v OrdersImport
		err = json.Unmarshal(payload, &v)
		v.Source, a = "quarantine", v
	case KindProductsPush:
		var v ProductsPush
		err = json.Unmarshal(payload, &v)
		v.After, a = 0, v
	case KindStockPush:
		var v StockPush
		err = json.Unmarshal(payload, &v)
		v.After, a = 0, v
	default:
		var v struct {
			Link string `json:"link"`
		}
		if err = json.Unmarshal(payload, &v); err == nil {
			return ArgsFor(kind, v.Link)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("schedule: quarantined %s job has unreadable arguments: %w", kind, err)
	}
	return a, nil
}
