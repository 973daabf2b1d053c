package host

// SetStockBatch makes a stock flush take n pending SKUs per job for one
// test, so a test can show that a backlog larger than a batch drains.
func SetStockBatch(n int) (restore func()) {
	old := stockBatch
	stockBatch = n
	return func() { stockBatch = old }
}
