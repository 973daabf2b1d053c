package sdk

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// A ReadProductsResponse written from, and read into, an sdk.ProductPage
// without the generated messages in between (see wire_codec.go for why).
// The encoder writes what proto.Marshal of productToProto's message would
// write, field by field; the decoder reads any valid encoding of the
// message (fields in any order, repeated singular fields merged, unknown
// fields skipped, strings checked for UTF-8 as protobuf-go does) into what
// productFromProto would return. wire_products_test.go holds both to that
// against protobuf-go. A field added to Product or Variant in
// connector.proto must be added here as well as in wire_convert.go; the
// test fails until it is.
//
// Field numbers of connector.proto used below:
//
//	ReadProductsResponse: 1 products, 2 cursor, 3 last, 4 total_estimate
//	Product: 1 id, 2 title, 3 description, 4 category, 5 category_id,
//	  6 vendor, 7 status, 8 variants, 9 updated_at, 10 is_bom,
//	  11 bom_lines, 12 attributes
//	Variant: 1 id, 2 sku, 3 title, 4 barcode, 5 price,
//	  6 price_includes_vat, 7 cost, 8 weight, 9 inventory_item_id,
//	  10 options, 11 updated_at
//	Money: 1 amount, 2 currency; Weight: 1 value, 2 unit
//	BomLine: 1 sku, 2 quantity; Timestamp: 1 seconds, 2 nanos
//	map entry: 1 key, 2 value

// productPageMsg is a ReadProductsResponse held as an sdk.ProductPage.
type productPageMsg struct {
	page ProductPage
	// err is set when a product on the page is well-formed protobuf that
	// the SDK's types cannot hold (an amount that is not a decimal): the
	// read fails with it, as an Invalid error naming the product and field.
	err error
}

var errInvalidUTF8 = errors.New("a string field is not valid UTF-8 (protobuf strings must be)")

// ---- encoding ----

// pageEncoder keeps the sizes of the nested messages of one page, computed
// once before writing because each is written after its length.
type pageEncoder struct {
	sizes []int
	next  int
	// decs holds the page's decimal strings, formatted once while sizing
	// (their lengths are queued in sizes) and copied when writing.
	decs   []byte
	decOff int
	bad    bool // a string is not valid UTF-8
}

var encoderPool = sync.Pool{New: func() any { return &pageEncoder{} }}

func (m *productPageMsg) marshal() (mem.BufferSlice, error) {
	e := encoderPool.Get().(*pageEncoder)
	defer encoderPool.Put(e)
	e.sizes, e.next, e.decs, e.decOff, e.bad = e.sizes[:0], 0, e.decs[:0], 0, false
	n := e.sizePage(&m.page)
	if e.bad {
		return nil, fmt.Errorf("product page after cursor %q: %w", m.page.Cursor, errInvalidUTF8)
	}
	if mem.IsBelowBufferPoolingThreshold(n) {
		b := e.appendPage(make([]byte, 0, n), &m.page)
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	b := e.appendPage((*buf)[:0], &m.page)
	if len(b) != n {
		pool.Put(buf)
		return nil, fmt.Errorf("product page encoder wrote %d bytes after sizing %d: a bug in sdk/wire_products.go", len(b), n)
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (e *pageEncoder) push() int { e.sizes = append(e.sizes, 0); return len(e.sizes) - 1 }
func (e *pageEncoder) pop() int  { n := e.sizes[e.next]; e.next++; return n }

// Every field number here is below 16, so every tag is one byte.

func (e *pageEncoder) sizeStr(s string) int {
	if s == "" {
		return 0
	}
	if !utf8.ValidString(s) {
		e.bad = true
	}
	return 1 + protowire.SizeBytes(len(s))
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}

func sizeVarint(v uint64) int {
	if v == 0 {
		return 0
	}
	return 1 + protowire.SizeVarint(v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func sizeMsg(n int) int { return 1 + protowire.SizeBytes(n) }

func appendMsgHeader(b []byte, num protowire.Number, n int) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(n))
}

func boolVarint(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// tsSize is the size of tsToProto(t)'s message; -1 when it is absent.
func tsSize(t time.Time) int {
	if t.IsZero() {
		return -1
	}
	return sizeVarint(uint64(t.Unix())) + sizeVarint(uint64(int64(t.Nanosecond())))
}

func appendTS(b []byte, num protowire.Number, t time.Time) []byte {
	n := tsSize(t)
	if n < 0 {
		return b
	}
	b = appendMsgHeader(b, num, n)
	b = appendVarint(b, 1, uint64(t.Unix()))
	return appendVarint(b, 2, uint64(int64(t.Nanosecond())))
}

// decimalSize formats d into e.decs while sizing and queues its length.
func (e *pageEncoder) decimalSize(d decimal.Decimal) int {
	start := len(e.decs)
	e.decs = appendDecimal(e.decs, d)
	n := len(e.decs) - start
	e.sizes = append(e.sizes, n)
	return n
}

// nextDecimal is the decimal string decimalSize formatted, in order.
func (e *pageEncoder) nextDecimal() []byte {
	n := e.pop()
	d := e.decs[e.decOff : e.decOff+n]
	e.decOff += n
	return d
}

func strSize(s string) int {
	if s == "" {
		return 0
	}
	return 1 + protowire.SizeBytes(len(s))
}

// moneySize is the size of moneyToProto(m)'s message; -1 when absent.
func (e *pageEncoder) moneySize(m Money) int {
	if m.IsZero() {
		return -1
	}
	return 1 + protowire.SizeBytes(e.decimalSize(m.Amount)) + e.sizeStr(m.Currency)
}

func (e *pageEncoder) appendMoney(b []byte, num protowire.Number, m Money) []byte {
	if m.IsZero() {
		return b
	}
	amount := e.nextDecimal()
	b = appendMsgHeader(b, num, 1+protowire.SizeBytes(len(amount))+strSize(m.Currency))
	b = protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), amount)
	return appendStr(b, 2, m.Currency)
}

func weightUnitNumber(u WeightUnit) uint64 {
	switch u {
	case Grams:
		return 1
	case Kilograms:
		return 2
	case Ounces:
		return 3
	case Pounds:
		return 4
	}
	return 0
}

func (e *pageEncoder) weightSize(w Weight) int {
	if w.IsZero() {
		return -1
	}
	return 1 + protowire.SizeBytes(e.decimalSize(w.Value)) + sizeVarint(weightUnitNumber(w.Unit))
}

func (e *pageEncoder) appendWeight(b []byte, num protowire.Number, w Weight) []byte {
	if w.IsZero() {
		return b
	}
	value := e.nextDecimal()
	b = appendMsgHeader(b, num, 1+protowire.SizeBytes(len(value))+sizeVarint(weightUnitNumber(w.Unit)))
	b = protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), value)
	return appendVarint(b, 2, weightUnitNumber(w.Unit))
}

// Map entries carry key and value even when empty, as protobuf-go writes
// them.
func (e *pageEncoder) sizeMap(m map[string]string) int {
	n := 0
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			e.bad = true
		}
		n += sizeMsg(2 + protowire.SizeBytes(len(k)) + protowire.SizeBytes(len(v)))
	}
	return n
}

func appendMap(b []byte, num protowire.Number, m map[string]string) []byte {
	for k, v := range m {
		b = appendMsgHeader(b, num, 2+protowire.SizeBytes(len(k))+protowire.SizeBytes(len(v)))
		b = protowire.AppendString(protowire.AppendTag(b, 1, protowire.BytesType), k)
		b = protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), v)
	}
	return b
}

func (e *pageEncoder) sizePage(p *ProductPage) int {
	n := 0
	for i := range p.Items {
		n += sizeMsg(e.sizeProduct(&p.Items[i]))
	}
	return n + e.sizeStr(p.Cursor) + sizeVarint(boolVarint(p.Last)) + sizeVarint(uint64(p.TotalEstimate))
}

func (e *pageEncoder) appendPage(b []byte, p *ProductPage) []byte {
	for i := range p.Items {
		b = e.appendProduct(b, 1, &p.Items[i])
	}
	b = appendStr(b, 2, p.Cursor)
	b = appendVarint(b, 3, boolVarint(p.Last))
	return appendVarint(b, 4, uint64(p.TotalEstimate))
}

func (e *pageEncoder) sizeProduct(p *Product) int {
	slot := e.push()
	n := e.sizeStr(p.ID) + e.sizeStr(p.Title) + e.sizeStr(p.Description) + e.sizeStr(p.Category) +
		e.sizeStr(p.CategoryID) + e.sizeStr(p.Vendor) + e.sizeStr(p.Status)
	for i := range p.Variants {
		n += sizeMsg(e.sizeVariant(&p.Variants[i]))
	}
	if ts := tsSize(p.UpdatedAt); ts >= 0 {
		n += sizeMsg(ts)
	}
	n += sizeVarint(boolVarint(p.IsBOM))
	for _, l := range p.BOMLines {
		n += sizeMsg(e.sizeStr(l.SKU) + sizeVarint(uint64(l.Quantity)))
	}
	n += e.sizeMap(p.Attributes)
	e.sizes[slot] = n
	return n
}

func (e *pageEncoder) appendProduct(b []byte, num protowire.Number, p *Product) []byte {
	b = appendMsgHeader(b, num, e.pop())
	b = appendStr(b, 1, p.ID)
	b = appendStr(b, 2, p.Title)
	b = appendStr(b, 3, p.Description)
	b = appendStr(b, 4, p.Category)
	b = appendStr(b, 5, p.CategoryID)
	b = appendStr(b, 6, p.Vendor)
	b = appendStr(b, 7, p.Status)
	for i := range p.Variants {
		b = e.appendVariant(b, 8, &p.Variants[i])
	}
	b = appendTS(b, 9, p.UpdatedAt)
	b = appendVarint(b, 10, boolVarint(p.IsBOM))
	for _, l := range p.BOMLines {
		b = appendMsgHeader(b, 11, strSize(l.SKU)+sizeVarint(uint64(l.Quantity)))
		b = appendStr(b, 1, l.SKU)
		b = appendVarint(b, 2, uint64(l.Quantity))
	}
	return appendMap(b, 12, p.Attributes)
}

func (e *pageEncoder) sizeVariant(v *Variant) int {
	slot := e.push()
	n := e.sizeStr(v.ID) + e.sizeStr(v.SKU) + e.sizeStr(v.Title) + e.sizeStr(v.Barcode)
	if m := e.moneySize(v.Price); m >= 0 {
		n += sizeMsg(m)
	}
	n += sizeVarint(boolVarint(v.PriceIncludesVAT))
	if m := e.moneySize(v.Cost); m >= 0 {
		n += sizeMsg(m)
	}
	if w := e.weightSize(v.Weight); w >= 0 {
		n += sizeMsg(w)
	}
	n += e.sizeStr(v.InventoryItemID) + e.sizeMap(v.Options)
	if ts := tsSize(v.UpdatedAt); ts >= 0 {
		n += sizeMsg(ts)
	}
	e.sizes[slot] = n
	return n
}

func (e *pageEncoder) appendVariant(b []byte, num protowire.Number, v *Variant) []byte {
	b = appendMsgHeader(b, num, e.pop())
	b = appendStr(b, 1, v.ID)
	b = appendStr(b, 2, v.SKU)
	b = appendStr(b, 3, v.Title)
	b = appendStr(b, 4, v.Barcode)
	b = e.appendMoney(b, 5, v.Price)
	b = appendVarint(b, 6, boolVarint(v.PriceIncludesVAT))
	b = e.appendMoney(b, 7, v.Cost)
	b = e.appendWeight(b, 8, v.Weight)
	b = appendStr(b, 9, v.InventoryItemID)
	b = appendMap(b, 10, v.Options)
	return appendTS(b, 11, v.UpdatedAt)
}

// ---- decoding ----

// span is a string of the product being decoded, as offsets into the
// product's encoding (pageDecoder.base).
type span struct{ lo, hi int }

type rawMoney struct {
	amount, currency span
	set              bool
}

type rawWeight struct {
	value span
	unit  uint64
	set   bool
}

type rawTime struct {
	sec   int64
	nanos int32
	set   bool
}

type rawEntry struct{ k, v span }

type rawBOM struct {
	sku span
	qty int64
}

type rawVariant struct {
	id, sku, title, barcode, inv span
	price, cost                  rawMoney
	weight                       rawWeight
	vat                          bool
	options                      []rawEntry
	updated                      rawTime
}

type rawProduct struct {
	id, title, desc, cat, catID, vendor, status span
	variants                                    []rawVariant
	updated                                     rawTime
	isBOM                                       bool
	bom                                         []rawBOM
	attrs                                       []rawEntry
}

// pageDecoder reads one product at a time into raw. Its strings are
// offsets into the product's encoding, which is copied into one string
// they are sliced from: one allocation and one copy per product, and one
// more for its identifiers (see convert).
type pageDecoder struct {
	raw  rawProduct
	base []byte
	ids  []byte // the product's identifiers, copied apart (see convert)
	// decimals remembers the amounts and weights parsed lately. A
	// catalogue repeats its price points, costs and weights, and a
	// decimal.Decimal costs two allocations; Decimals are immutable, so
	// products may share one.
	decimals map[string]decimal.Decimal
}

// maxCachedDecimals bounds pageDecoder.decimals (about 100 KiB); when it
// is full it starts again, so a catalogue of many distinct amounts costs
// little more than parsing them.
const maxCachedDecimals = 2048

// decimal is parseDecimal(s) through d.decimals.
func (d *pageDecoder) decimal(s string) (decimal.Decimal, error) {
	if v, ok := d.decimals[s]; ok {
		return v, nil
	}
	v, err := parseDecimal(s)
	if err != nil {
		return v, err
	}
	if d.decimals == nil {
		d.decimals = make(map[string]decimal.Decimal)
	} else if len(d.decimals) >= maxCachedDecimals {
		clear(d.decimals)
	}
	// A copy: s is a slice of the product's strings, which the cache must
	// not keep alive.
	d.decimals[strings.Clone(s)] = v
	return v, nil
}

var decoderPool = sync.Pool{New: func() any { return &pageDecoder{} }}

// wireErr is what a malformed message reports, as protobuf-go would fail
// to unmarshal it.
func wireErr(n int) error {
	return fmt.Errorf("malformed ReadProductsResponse: %w", protowire.ParseError(n))
}

// field reads one field's tag and value; v is the value's bytes for
// length-delimited fields and x the value of varints. Other wire types are
// consumed and returned as skip.
func field(b []byte) (num protowire.Number, typ protowire.Type, v []byte, x uint64, rest []byte, err error) {
	// The fast path: every field of these messages has a one-byte tag,
	// and most values are short strings or small varints.
	if len(b) >= 2 && b[0] < 0x80 && b[0]>>3 != 0 && b[1] < 0x80 {
		num, typ = protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		switch typ {
		case protowire.BytesType:
			if end := 2 + int(b[1]); end <= len(b) {
				return num, typ, b[2:end], 0, b[end:], nil
			}
		case protowire.VarintType:
			return num, typ, nil, uint64(b[1]), b[2:], nil
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, 0, nil, wireErr(n)
	}
	b = b[n:]
	switch typ {
	case protowire.BytesType:
		v, n = protowire.ConsumeBytes(b)
	case protowire.VarintType:
		x, n = protowire.ConsumeVarint(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return 0, 0, nil, 0, nil, wireErr(n)
	}
	return num, typ, v, x, b[n:], nil
}

func (m *productPageMsg) unmarshal(b []byte) error {
	d := decoderPool.Get().(*pageDecoder)
	defer decoderPool.Put(d)
	*m = productPageMsg{}
	// A first pass counts the products so the page is one allocation.
	count := 0
	for rest := b; len(rest) > 0; {
		num, typ, _, _, r, err := field(rest)
		if err != nil {
			return err
		}
		if num == 1 && typ == protowire.BytesType {
			count++
		}
		rest = r
	}
	m.page.Items = make([]Product, 0, count)
	defer func() { d.base = nil }() // the pool must not keep gRPC's buffer
	for len(b) > 0 {
		num, typ, v, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1 && typ == protowire.BytesType:
			if err := d.product(v); err != nil {
				return err
			}
			if m.err != nil {
				continue // the read fails with m.err; the rest is only parsed
			}
			p, err := d.convert()
			if err != nil {
				m.err = fmt.Errorf("connector sent a bad product %q: %w", d.base[d.raw.id.lo:d.raw.id.hi], err)
				continue
			}
			m.page.Items = append(m.page.Items, p)
		case num == 2 && typ == protowire.BytesType:
			if !utf8.Valid(v) {
				return fmt.Errorf("ReadProductsResponse.cursor: %w", errInvalidUTF8)
			}
			m.page.Cursor = string(v)
		case num == 3 && typ == protowire.VarintType:
			m.page.Last = protowire.DecodeBool(x)
		case num == 4 && typ == protowire.VarintType:
			m.page.TotalEstimate = int64(x)
		}
	}
	return nil
}

// str is v's place in d.base. Every slice the parser hands out ends where
// d.base's capacity ends, so the difference of capacities is the offset.
func (d *pageDecoder) str(v []byte) (span, error) {
	if !utf8.Valid(v) {
		return span{}, errInvalidUTF8
	}
	lo := cap(d.base) - cap(v)
	return span{lo, lo + len(v)}, nil
}

// strField stores a string field's value in *dst when the wire type is
// right; a field of the wrong wire type is unknown, as in protobuf-go.
func (d *pageDecoder) strField(typ protowire.Type, v []byte, dst *span) error {
	if typ != protowire.BytesType {
		return nil
	}
	s, err := d.str(v)
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

// product parses one Product into d.raw.
func (d *pageDecoder) product(b []byte) error {
	r := &d.raw
	d.base = b
	*r = rawProduct{variants: r.variants[:0], bom: r.bom[:0], attrs: r.attrs[:0]}
	for len(b) > 0 {
		num, typ, v, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch num {
		case 1:
			err = d.strField(typ, v, &r.id)
		case 2:
			err = d.strField(typ, v, &r.title)
		case 3:
			err = d.strField(typ, v, &r.desc)
		case 4:
			err = d.strField(typ, v, &r.cat)
		case 5:
			err = d.strField(typ, v, &r.catID)
		case 6:
			err = d.strField(typ, v, &r.vendor)
		case 7:
			err = d.strField(typ, v, &r.status)
		case 8:
			if typ == protowire.BytesType {
				if len(r.variants) < cap(r.variants) {
					r.variants = r.variants[:len(r.variants)+1]
					last := &r.variants[len(r.variants)-1]
					*last = rawVariant{options: last.options[:0]}
				} else {
					r.variants = append(r.variants, rawVariant{})
				}
				err = d.variant(v, &r.variants[len(r.variants)-1])
			}
		case 9:
			if typ == protowire.BytesType {
				err = timestamp(v, &r.updated)
			}
		case 10:
			if typ == protowire.VarintType {
				r.isBOM = protowire.DecodeBool(x)
			}
		case 11:
			if typ == protowire.BytesType {
				var l rawBOM
				if err = d.bomLine(v, &l); err == nil {
					r.bom = append(r.bom, l)
				}
			}
		case 12:
			if typ == protowire.BytesType {
				r.attrs, err = d.entry(v, r.attrs)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *pageDecoder) variant(b []byte, r *rawVariant) error {
	for len(b) > 0 {
		num, typ, v, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch num {
		case 1:
			err = d.strField(typ, v, &r.id)
		case 2:
			err = d.strField(typ, v, &r.sku)
		case 3:
			err = d.strField(typ, v, &r.title)
		case 4:
			err = d.strField(typ, v, &r.barcode)
		case 5:
			if typ == protowire.BytesType {
				err = d.money(v, &r.price)
			}
		case 6:
			if typ == protowire.VarintType {
				r.vat = protowire.DecodeBool(x)
			}
		case 7:
			if typ == protowire.BytesType {
				err = d.money(v, &r.cost)
			}
		case 8:
			if typ == protowire.BytesType {
				err = d.weight(v, &r.weight)
			}
		case 9:
			err = d.strField(typ, v, &r.inv)
		case 10:
			if typ == protowire.BytesType {
				r.options, err = d.entry(v, r.options)
			}
		case 11:
			if typ == protowire.BytesType {
				err = timestamp(v, &r.updated)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// money merges a Money message into r: a repeated singular message field
// is merged, as protobuf-go does.
func (d *pageDecoder) money(b []byte, r *rawMoney) error {
	r.set = true
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch num {
		case 1:
			err = d.strField(typ, v, &r.amount)
		case 2:
			err = d.strField(typ, v, &r.currency)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *pageDecoder) weight(b []byte, r *rawWeight) error {
	r.set = true
	for len(b) > 0 {
		num, typ, v, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1:
			err = d.strField(typ, v, &r.value)
		case num == 2 && typ == protowire.VarintType:
			r.unit = x
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func timestamp(b []byte, r *rawTime) error {
	r.set = true
	for len(b) > 0 {
		num, typ, _, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		if typ != protowire.VarintType {
			continue
		}
		switch num {
		case 1:
			r.sec = int64(x)
		case 2:
			r.nanos = int32(x)
		}
	}
	return nil
}

func (d *pageDecoder) bomLine(b []byte, r *rawBOM) error {
	for len(b) > 0 {
		num, typ, v, x, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == 1:
			err = d.strField(typ, v, &r.sku)
		case num == 2 && typ == protowire.VarintType:
			r.qty = int64(x)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// entry parses one map entry; a missing key or value is empty.
func (d *pageDecoder) entry(b []byte, into []rawEntry) ([]rawEntry, error) {
	var e rawEntry
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return into, err
		}
		b = rest
		switch num {
		case 1:
			err = d.strField(typ, v, &e.k)
		case 2:
			err = d.strField(typ, v, &e.v)
		}
		if err != nil {
			return into, err
		}
	}
	return append(into, e), nil
}

func (t rawTime) time() time.Time {
	if !t.set {
		return time.Time{}
	}
	return time.Unix(t.sec, int64(t.nanos)).UTC()
}

func entriesMap(s string, es []rawEntry) map[string]string {
	if len(es) == 0 {
		return nil
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		m[s[e.k.lo:e.k.hi]] = s[e.v.lo:e.v.hi]
	}
	return m
}

// convert turns d.raw into the Product productFromProto would return for
// the same bytes, with the same errors.
func (d *pageDecoder) convert() (Product, error) {
	r := &d.raw
	s := string(d.base)
	get := func(sp span) string { return s[sp.lo:sp.hi] }
	// Identifiers (ids, SKUs, inventory item ids) are what a consumer
	// keeps after a read, in bindings and indexes. They get a small string
	// of their own, so keeping one holds on to ~100 bytes of the product
	// rather than its whole encoding with the description.
	d.ids = d.ids[:0]
	idSpan := func(sp span) span {
		lo := len(d.ids)
		d.ids = append(d.ids, d.base[sp.lo:sp.hi]...)
		return span{lo, len(d.ids)}
	}
	pid := idSpan(r.id)
	for i := range r.variants {
		v := &r.variants[i]
		v.id, v.sku, v.inv = idSpan(v.id), idSpan(v.sku), idSpan(v.inv)
	}
	for i := range r.bom {
		r.bom[i].sku = idSpan(r.bom[i].sku)
	}
	ids := string(d.ids)
	id := func(sp span) string { return ids[sp.lo:sp.hi] }
	out := Product{
		ID: id(pid), Title: get(r.title), Description: get(r.desc), Category: get(r.cat),
		CategoryID: get(r.catID), Vendor: get(r.vendor), Status: get(r.status),
		UpdatedAt: r.updated.time(), IsBOM: r.isBOM, Attributes: entriesMap(s, r.attrs),
		Variants: make([]Variant, len(r.variants)),
	}
	bad := func(err error) (Product, error) { return Product{}, err }
	for i := range r.variants {
		v := &r.variants[i]
		price, ok := d.moneyValue(s, v.price)
		if !ok {
			return bad(Invalid(fmt.Sprintf("variants[%d].price", i), "amount %q is not a decimal number", get(v.price.amount)))
		}
		cost, ok := d.moneyValue(s, v.cost)
		if !ok {
			return bad(Invalid(fmt.Sprintf("variants[%d].cost", i), "amount %q is not a decimal number", get(v.cost.amount)))
		}
		var weight Weight
		if v.weight.set {
			weight.Unit = weightUnitFromNumber(v.weight.unit)
			if val := get(v.weight.value); val != "" {
				dv, err := d.decimal(val)
				if err != nil {
					return bad(Invalid(fmt.Sprintf("variants[%d].weight", i), "weight %q is not a decimal number", val))
				}
				weight.Value = dv
			}
		}
		out.Variants[i] = Variant{
			ID: id(v.id), SKU: id(v.sku), Title: get(v.title), Barcode: get(v.barcode),
			Price: price, PriceIncludesVAT: v.vat, Cost: cost, Weight: weight,
			InventoryItemID: id(v.inv), Options: entriesMap(s, v.options), UpdatedAt: v.updated.time(),
		}
	}
	for _, l := range r.bom {
		out.BOMLines = append(out.BOMLines, BOMLine{SKU: id(l.sku), Quantity: l.qty})
	}
	return out, nil
}

func (d *pageDecoder) moneyValue(s string, m rawMoney) (Money, bool) {
	if !m.set {
		return Money{}, true
	}
	cur, amount := s[m.currency.lo:m.currency.hi], s[m.amount.lo:m.amount.hi]
	if amount == "" {
		return Money{Currency: cur}, true
	}
	v, err := d.decimal(amount)
	if err != nil {
		return Money{}, false
	}
	return Money{Amount: v, Currency: cur}, true
}

func weightUnitFromNumber(n uint64) WeightUnit {
	switch n {
	case 1:
		return Grams
	case 2:
		return Kilograms
	case 3:
		return Ounces
	case 4:
		return Pounds
	}
	return ""
}
