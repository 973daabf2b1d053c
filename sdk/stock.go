package sdk

// QuantityName says which stock quantity a read or write is about.
type QuantityName string

// Quantity names. The seeds sync only the available ("in stock") quantity;
// on_hand lets a channel keep subtracting its own unshipped orders.
const (
	QuantityDefault   QuantityName = ""
	QuantityAvailable QuantityName = "available"
	QuantityOnHand    QuantityName = "on_hand"
)

// StockLevel is the quantity of one variant at one channel location.
type StockLevel struct {
	SKU             string
	VariantID       string
	InventoryItemID string
	LocationID      string
	Quantity        int64
}

// StockWrite sets one level.
type StockWrite struct {
	Key   string // the host's key for the row; echoed in the result
	Level StockLevel
	// Expected is the quantity the host last saw in the channel, for a
	// compare-and-set write (Shopify's changeFromQuantity); nil writes
	// unconditionally.
	Expected *int64
}

// StockWriteRequest is one batch of stock writes. A retried request with
// the same IdempotencyKey must be applied at most once.
type StockWriteRequest struct {
	IdempotencyKey string
	Rows           []StockWrite
	Quantity       QuantityName
}

// StockWriteResult is the outcome of one row.
type StockWriteResult struct {
	Key      string
	Err      *Error
	Previous int64 // what the channel held before, when known
	Replayed bool  // the idempotency key had been applied before; nothing changed now
}

// StockReadRequest asks for stock levels.
type StockReadRequest struct {
	ReadRequest
	LocationIDs []string
	Quantity    QuantityName
}
