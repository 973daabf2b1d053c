package sdk

// Hooks for the external benchmarks of the product codec
// (wire_products_bench_test.go), which use the bench connector's catalogue
// and so cannot live inside package sdk.

// EncodeProductPage writes p as wireCodec sends it.
func EncodeProductPage(p ProductPage) ([]byte, error) {
	bs, err := (&productPageMsg{page: p}).marshal()
	if err != nil {
		return nil, err
	}
	defer bs.Free()
	return bs.Materialize(), nil
}

// DecodeProductPage reads a page as wireCodec receives it.
func DecodeProductPage(b []byte) (ProductPage, error) {
	var m productPageMsg
	if err := m.unmarshal(b); err != nil {
		return ProductPage{}, err
	}
	return m.page, m.err
}
