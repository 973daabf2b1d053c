package shopbox

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// pageSize is the page a read asks the API for: the host's hint, bounded
// by the link's page_size.
func (l *Link) pageSize(hint int) int {
	if hint > 0 && hint < l.s.PageSize {
		return hint
	}
	return l.s.PageSize
}

// ReadProducts reads every product (empty cursor), the products changed
// since a cursor, or the products with given uids or SKUs.
func (l *Link) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	switch {
	case len(req.IDs) > 0:
		return l.readProductsByID(ctx, req, emit)
	case len(req.SKUs) > 0:
		return l.readProductsBySKU(ctx, req, emit)
	}
	var cur productCursor
	if err := decodeCursor("p", req.Cursor, &cur); err != nil {
		return err
	}
	per := l.pageSize(req.PageSize)
	if cur.Page == 0 {
		cur = productCursor{Since: cur.Since, Seen: cur.Seen, Page: 1, Next: seenSet{}}
	}
	if cur.Next == nil {
		cur.Next = seenSet{}
	}
	vt := &varianceNames{l: l}
	waits := 0
	for {
		p, err := l.c.Products(ctx, api.ProductQuery{UpdatedSince: cur.Since}, cur.Page, per)
		if err != nil {
			return err
		}
		if cur.Run == 0 {
			cur.Run = p.ServerTime.Unix()
		}
		total := p.Pagination.Total
		if cur.Page > 1 && cur.Total > 0 && total < cur.Total {
			// Products before our position were deleted and the rest moved
			// up: step back as many pages as they could fill, and let the
			// uid order skip what was already handed out.
			back := (cur.Total - total + per - 1) / per
			cur.Page = max(1, cur.Page-back)
			cur.Total = total
			continue
		}
		nextSince := cur.Run - overlapSeconds
		readAt := p.ServerTime.Unix()
		if waits < maxSameSecondWaits && stampedAt(readAt, p.Items, func(ap api.Product) int64 { return ap.UpdatedTime }) {
			// A product changed in the very second of this read could change
			// again in that second with the same stamp; read the page again
			// once the second is over, so what is handed out can be told
			// apart from any later change (see seenSet.remember).
			waits++
			if err := sleep(ctx, time.Second); err != nil {
				return err
			}
			continue
		}
		items := make([]sdk.Product, 0, len(p.Items))
		for _, ap := range p.Items {
			if ap.UID <= cur.After {
				continue
			}
			cur.After = ap.UID
			if stamp, ok := cur.Seen[ap.UID]; ok && stamp == ap.UpdatedTime {
				continue
			}
			cur.Next.remember(ap.UID, ap.UpdatedTime, readAt, nextSince)
			items = append(items, l.toProduct(ctx, ap, vt))
		}
		if err := vt.err; err != nil {
			return err
		}
		page := sdk.ProductPage{Items: items, TotalEstimate: int64(total)}
		if p.Pagination.More() && len(p.Items) > 0 {
			cur.Page++
			cur.Total = total
			page.Cursor = encodeCursor("p", cur)
			if err := emit(page); err != nil {
				return err
			}
			continue
		}
		page.Last = true
		page.Cursor = encodeCursor("p", productCursor{Since: &nextSince, Seen: cur.Next})
		return emit(page)
	}
}

func (l *Link) readProductsByID(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	per := l.pageSize(req.PageSize)
	vt := &varianceNames{l: l}
	var batch []sdk.Product
	for i, id := range req.IDs {
		uid, err := strconv.Atoi(strings.TrimSpace(id))
		if err != nil || uid <= 0 {
			return sdk.Invalid("ids", "%q is not a Shopbox product uid", id)
		}
		ap, err := l.c.Product(ctx, uid)
		if sdk.ClassOf(err) == sdk.ClassNotFound {
			continue // gone from Shopbox: the host sees it missing from the answer
		}
		if err != nil {
			return err
		}
		batch = append(batch, l.toProduct(ctx, ap, vt))
		if vt.err != nil {
			return vt.err
		}
		if len(batch) == per && i < len(req.IDs)-1 {
			if err := emit(sdk.ProductPage{Items: batch, Cursor: req.Cursor}); err != nil {
				return err
			}
			batch = nil
		}
	}
	return emit(sdk.ProductPage{Items: batch, Cursor: req.Cursor, Last: true})
}

func (l *Link) readProductsBySKU(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	vt := &varianceNames{l: l}
	seen := map[int]bool{}
	var batch []sdk.Product
	for _, sku := range req.SKUs {
		for page := 1; ; page++ {
			p, err := l.c.Products(ctx, api.ProductQuery{SKU: sku}, page, api.MaxPerPage)
			if err != nil {
				return err
			}
			for _, ap := range p.Items {
				if !seen[ap.UID] {
					seen[ap.UID] = true
					batch = append(batch, l.toProduct(ctx, ap, vt))
				}
			}
			if vt.err != nil {
				return vt.err
			}
			if !p.Pagination.More() || len(p.Items) == 0 {
				break
			}
		}
	}
	return emit(sdk.ProductPage{Items: batch, Cursor: req.Cursor, Last: true})
}

// inventoryItemID names the unit that holds stock: "product" for a product
// without variances, "product/variance" otherwise.
func inventoryItemID(product int, variance *int) string {
	if variance == nil || *variance == 0 {
		return strconv.Itoa(product)
	}
	return strconv.Itoa(product) + "/" + strconv.Itoa(*variance)
}

func parseInventoryItemID(s string) (product, variance int, ok bool) {
	ps, vs, hasVariance := strings.Cut(s, "/")
	p, err := strconv.Atoi(ps)
	if err != nil || p <= 0 {
		return 0, 0, false
	}
	if !hasVariance {
		return p, 0, true
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v <= 0 {
		return 0, 0, false
	}
	return p, v, true
}

// toProduct maps a Shopbox product. A product without variances becomes
// one variant whose ID is the product uid; with variances, each variance is
// a variant whose ID is the variance uid (the seed's "variation ID").
func (l *Link) toProduct(ctx context.Context, ap api.Product, vt *varianceNames) sdk.Product {
	p := sdk.Product{
		ID: strconv.Itoa(ap.UID), Title: ap.Name, Description: ap.Description, Status: "active",
		UpdatedAt: time.Unix(ap.UpdatedTime, 0).UTC(), IsBOM: ap.IsBOM,
	}
	if ap.Tag != nil && *ap.Tag != 0 {
		p.CategoryID = strconv.Itoa(*ap.Tag)
		if ap.Tag0 != nil {
			p.Category = ap.Tag0.Name
		} else {
			p.Category = l.tagName(ctx, *ap.Tag)
		}
	}
	if ap.IntegrationNumber != nil && *ap.IntegrationNumber != "" {
		p.Attributes = map[string]string{"integration_number": *ap.IntegrationNumber}
	}
	for _, bl := range ap.BOMLines {
		p.BOMLines = append(p.BOMLines, sdk.BOMLine{SKU: bl.SKUCode, Quantity: int64(bl.Quantity)})
	}
	cost := OreToMoney(ap.StockPrice, l.s.Currency)
	var weight sdk.Weight
	if ap.Weight != 0 {
		weight = sdk.Weight{Value: decimal.NewFromInt(int64(ap.Weight)), Unit: sdk.Grams}
	}
	if len(ap.ProductVariances) == 0 {
		v := sdk.Variant{
			ID: p.ID, SKU: ap.SKUCode, Price: OreToMoney(ap.SellingPrice, l.s.Currency), PriceIncludesVAT: true,
			Cost: cost, Weight: weight, InventoryItemID: inventoryItemID(ap.UID, nil), UpdatedAt: p.UpdatedAt,
		}
		if ap.Code != nil {
			v.Barcode = *ap.Code
		}
		p.Variants = []sdk.Variant{v}
		return p
	}
	for _, av := range ap.ProductVariances {
		uid := av.UID
		v := sdk.Variant{
			ID: strconv.Itoa(av.UID), SKU: av.SKUCode, Title: av.Name,
			Price: OreToMoney(av.SellingPrice, l.s.Currency), PriceIncludesVAT: true,
			Cost: cost, Weight: weight, InventoryItemID: inventoryItemID(ap.UID, &uid), UpdatedAt: p.UpdatedAt,
			Options: vt.options(ctx, av.VarianceValue),
		}
		if av.Barcode != nil {
			v.Barcode = *av.Barcode
		}
		p.Variants = append(p.Variants, v)
	}
	return p
}

// varianceNames names variance values ("Farge" → "Rød") for one read,
// loading the variance types once, when the first variance needs them.
type varianceNames struct {
	l      *Link
	values map[int][2]string
	err    error
}

func (vn *varianceNames) options(ctx context.Context, uids []int) map[string]string {
	if len(uids) == 0 || vn.err != nil {
		return nil
	}
	if vn.values == nil {
		types, err := vn.l.varianceTypes(ctx, false)
		if err != nil {
			vn.err = err
			return nil
		}
		vn.values = map[int][2]string{}
		for _, t := range types {
			for _, v := range t.Values {
				vn.values[v.UID] = [2]string{t.Name, v.Name}
			}
		}
	}
	out := map[string]string{}
	for _, u := range uids {
		if tv, ok := vn.values[u]; ok {
			out[tv[0]] = tv[1]
		}
	}
	return out
}

func (l *Link) varianceTypes(ctx context.Context, fresh bool) ([]api.VarianceType, error) {
	l.mu.Lock()
	cached := l.vtypes
	l.mu.Unlock()
	if cached != nil && !fresh {
		return cached, nil
	}
	types, err := l.c.VarianceTypes(ctx)
	if err != nil {
		return nil, err
	}
	if types == nil {
		types = []api.VarianceType{}
	}
	l.mu.Lock()
	l.vtypes = types
	l.mu.Unlock()
	return types, nil
}

// WriteProducts creates or updates products, one result per write. A
// product is found by its uid, else by any of its SKUs, so a write retried
// after a lost answer updates the product the first attempt created.
func (l *Link) WriteProducts(ctx context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	out := make([]sdk.ProductWriteResult, len(writes))
	vt := &varianceNames{l: l}
	for i, w := range writes {
		out[i].Key = w.Key
		ap, err := l.writeProduct(ctx, w)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if sdk.ClassOf(err) == sdk.ClassUnauthenticated {
				return nil, err
			}
			out[i].Err = sdk.AsError(err)
			out[i].Product = w.Product
			continue
		}
		out[i].Product = l.toProduct(ctx, ap, vt)
	}
	return out, nil
}

func (l *Link) writeProduct(ctx context.Context, w sdk.ProductWrite) (api.Product, error) {
	p := w.Product
	if len(p.Variants) == 0 {
		return api.Product{}, sdk.Invalid("variants", "a product needs at least one variant with a SKU")
	}
	existing, err := l.findProduct(ctx, p)
	if err != nil {
		return api.Product{}, err
	}
	creating := existing == nil
	carries := func(f string) bool { return creating || w.Carries(f) }
	in := api.ProductInput{}
	if !creating {
		in.UID = &existing.UID
	}
	if carries(sdk.FieldTitle) {
		if strings.TrimSpace(p.Title) == "" {
			return api.Product{}, sdk.Invalid("title", "a Shopbox product needs a name")
		}
		in.Name = &p.Title
	}
	if carries(sdk.FieldDescription) {
		in.Description = &p.Description
	}
	if carries(sdk.FieldCategory) {
		switch {
		case p.CategoryID != "":
			uid, err := strconv.Atoi(p.CategoryID)
			if err != nil || uid <= 0 {
				return api.Product{}, sdk.Invalid("category", "category id %q is not a Shopbox tag uid", p.CategoryID)
			}
			in.Tag = &uid
		case p.Category != "":
			uid, err := l.tagFor(ctx, p.Category)
			if err != nil {
				return api.Product{}, err
			}
			in.Tag = &uid
		}
	}
	first := p.Variants[0]
	if carries(sdk.FieldCost) && !first.Cost.IsZero() {
		ore, err := l.costOre(first.Cost)
		if err != nil {
			return api.Product{}, err
		}
		in.StockPrice = &ore
	}
	if carries(sdk.FieldWeight) && !first.Weight.IsZero() {
		g, err := grams(first.Weight)
		if err != nil {
			return api.Product{}, err
		}
		in.Weight = &g
	}
	if creating && first.SKU != "" {
		in.IntegrationNumber = &first.SKU
	}

	simple := len(p.Variants) == 1 && len(first.Options) == 0 && (existing == nil || len(existing.ProductVariances) == 0)
	if p.IsBOM {
		if len(p.Variants) != 1 {
			return api.Product{}, sdk.Invalid("variants", "a BOM product has exactly one variant in Shopbox, not %d", len(p.Variants))
		}
		if len(p.BOMLines) == 0 {
			return api.Product{}, sdk.Invalid("bom_lines", "a BOM product needs at least one line")
		}
		simple = true
		bom := true
		lines := make([]api.BOMLine, len(p.BOMLines))
		for i, bl := range p.BOMLines {
			if bl.SKU == "" || bl.Quantity <= 0 {
				return api.Product{}, sdk.Invalid("bom_lines", "line %d needs a SKU and a quantity of at least 1", i+1)
			}
			lines[i] = api.BOMLine{SKUCode: bl.SKU, Quantity: int(bl.Quantity)}
		}
		in.IsBOM, in.BOMLines = &bom, &lines
	}
	if simple {
		if carries(sdk.FieldSKU) {
			if first.SKU == "" {
				return api.Product{}, sdk.Invalid("sku", "the variant needs a SKU")
			}
			in.SKUCode = &first.SKU
		}
		if carries(sdk.FieldPrice) && !first.Price.IsZero() {
			ore, err := l.priceOre(first)
			if err != nil {
				return api.Product{}, err
			}
			in.SellingPrice = &ore
		}
		if carries(sdk.FieldBarcode) && (first.Barcode != "" || !creating) {
			in.Code = &first.Barcode
		}
	} else {
		variants, err := l.variantInputs(ctx, w, existing)
		if err != nil {
			return api.Product{}, err
		}
		in.Variants = &variants
		if creating {
			// The product's own price is what new variances default to.
			if ore, err := l.priceOre(first); err == nil && !first.Price.IsZero() {
				in.SellingPrice = &ore
			}
		}
	}
	ap, _, err := l.c.UpsertProduct(ctx, in)
	if err != nil {
		return api.Product{}, err
	}
	return ap, nil
}

// findProduct finds the Shopbox product a write is about: by uid when the
// host knows it, else by the SKUs of its variants; nil when it is new.
func (l *Link) findProduct(ctx context.Context, p sdk.Product) (*api.Product, error) {
	if p.ID != "" {
		uid, err := strconv.Atoi(p.ID)
		if err != nil || uid <= 0 {
			return nil, sdk.Invalid("id", "%q is not a Shopbox product uid", p.ID)
		}
		ap, err := l.c.Product(ctx, uid)
		if err != nil {
			if sdk.ClassOf(err) == sdk.ClassNotFound {
				return nil, sdk.NotFound("Shopbox product %d no longer exists; write it without id to create it again", uid)
			}
			return nil, err
		}
		return &ap, nil
	}
	for _, v := range p.Variants {
		if v.SKU == "" {
			continue
		}
		pg, err := l.c.Products(ctx, api.ProductQuery{SKU: v.SKU}, 1, 2)
		if err != nil {
			return nil, err
		}
		if len(pg.Items) > 1 {
			return nil, sdk.Invalid("sku", "SKU %q is on %d Shopbox products; remove the duplicate in Shopbox or write with the product's id", v.SKU, pg.Pagination.Total)
		}
		if len(pg.Items) == 1 {
			return &pg.Items[0], nil
		}
	}
	return nil, nil
}

// variantInputs builds the variances of a write: existing ones matched by
// uid or SKU get the carried fields, new ones get everything.
func (l *Link) variantInputs(ctx context.Context, w sdk.ProductWrite, existing *api.Product) ([]api.VarianceInput, error) {
	var have []api.Variance
	if existing != nil {
		have = existing.ProductVariances
	}
	out := make([]api.VarianceInput, 0, len(w.Product.Variants))
	for i, v := range w.Product.Variants {
		var match *api.Variance
		for j := range have {
			if (v.ID != "" && strconv.Itoa(have[j].UID) == v.ID) || (v.SKU != "" && have[j].SKUCode == v.SKU) {
				match = &have[j]
				break
			}
		}
		fresh := match == nil
		carries := func(f string) bool { return fresh || w.Carries(f) }
		vi := api.VarianceInput{}
		if !fresh {
			vi.UID = match.UID
		}
		if carries(sdk.FieldSKU) {
			if v.SKU == "" {
				return nil, sdk.Invalid("sku", "variant %d needs a SKU", i+1)
			}
			vi.SKUCode = &v.SKU
		}
		if carries(sdk.FieldPrice) && !v.Price.IsZero() {
			ore, err := l.priceOre(v)
			if err != nil {
				return nil, err
			}
			vi.SellingPrice = &ore
		}
		if carries(sdk.FieldBarcode) && (v.Barcode != "" || !fresh) {
			vi.Barcode = &v.Barcode
		}
		if carries(sdk.FieldTitle) {
			name := v.Title
			if name == "" {
				name = optionTitle(v.Options)
			}
			vi.Name = &name
		}
		if len(v.Options) > 0 && (fresh || w.Carries(sdk.FieldTitle)) {
			vals, err := l.valueUIDs(ctx, v.Options)
			if err != nil {
				return nil, err
			}
			vi.VarianceValue = &vals
		}
		out = append(out, vi)
	}
	return out, nil
}

func optionTitle(opts map[string]string) string {
	names := sortedKeys(opts)
	vals := make([]string, len(names))
	for i, n := range names {
		vals[i] = opts[n]
	}
	return strings.Join(vals, " / ")
}

// valueUIDs finds (creating when missing) the variance values of options.
func (l *Link) valueUIDs(ctx context.Context, opts map[string]string) ([]int, error) {
	l.vtMu.Lock()
	defer l.vtMu.Unlock()
	var out []int
	for _, name := range sortedKeys(opts) {
		value := opts[name]
		uid, err := l.valueUID(ctx, name, value)
		if err != nil {
			return nil, err
		}
		out = append(out, uid)
	}
	return out, nil
}

func (l *Link) valueUID(ctx context.Context, typeName, value string) (int, error) {
	find := func(types []api.VarianceType) (t *api.VarianceType, v int) {
		for i := range types {
			if strings.EqualFold(types[i].Name, typeName) {
				for _, val := range types[i].Values {
					if strings.EqualFold(val.Name, value) {
						return &types[i], val.UID
					}
				}
				return &types[i], 0
			}
		}
		return nil, 0
	}
	types, err := l.varianceTypes(ctx, false)
	if err != nil {
		return 0, err
	}
	if _, v := find(types); v != 0 {
		return v, nil
	}
	if types, err = l.varianceTypes(ctx, true); err != nil {
		return 0, err
	}
	t, v := find(types)
	if v != 0 {
		return v, nil
	}
	in := api.VarianceTypeInput{Values: []api.VarianceValueInput{{Name: value}}}
	if t != nil {
		in.UID = &t.UID
	} else {
		in.Name = &typeName
	}
	got, err := l.c.UpsertVarianceType(ctx, in)
	if err != nil {
		return 0, err
	}
	if _, err := l.varianceTypes(ctx, true); err != nil {
		return 0, err
	}
	_, v = find([]api.VarianceType{got})
	if v == 0 {
		return 0, errors.New("the variance value just created is missing from the answer of Shopbox")
	}
	return v, nil
}

// priceOre converts a variant's price into øre including VAT, exactly.
func (l *Link) priceOre(v sdk.Variant) (int64, error) {
	if v.Price.Currency != "" && v.Price.Currency != l.s.Currency {
		return 0, sdk.Invalid("price", "is in %s but the link's Shopbox prices are in %s (setting currency)", v.Price.Currency, l.s.Currency)
	}
	if v.Price.Amount.IsNegative() {
		return 0, sdk.Invalid("price", "%s is negative", v.Price.Amount)
	}
	ore, ok := PriceToOre(v.Price.Amount, v.PriceIncludesVAT, l.s.VATRate)
	if !ok {
		return 0, sdk.Invalid("price", "%s is too large for Shopbox", v.Price.Amount)
	}
	return ore, nil
}

func (l *Link) costOre(m sdk.Money) (int64, error) {
	if m.Currency != "" && m.Currency != l.s.Currency {
		return 0, sdk.Invalid("cost", "is in %s but the link's Shopbox prices are in %s (setting currency)", m.Currency, l.s.Currency)
	}
	ore, ok := AmountToOre(m.Amount)
	if !ok || ore < 0 {
		return 0, sdk.Invalid("cost", "%s is not a cost Shopbox can hold", m.Amount)
	}
	return ore, nil
}

var gramsPer = map[sdk.WeightUnit]decimal.Decimal{
	sdk.Grams:     decimal.NewFromInt(1),
	sdk.Kilograms: decimal.NewFromInt(1000),
	sdk.Ounces:    decimal.RequireFromString("28.349523125"),
	sdk.Pounds:    decimal.RequireFromString("453.59237"),
}

// grams converts a weight to the whole grams Shopbox stores.
func grams(w sdk.Weight) (int, error) {
	f, ok := gramsPer[w.Unit]
	if !ok {
		return 0, sdk.Invalid("weight", "unit %q is not one of g, kg, oz, lb", w.Unit)
	}
	g := w.Value.Mul(f).Round(0)
	if g.IsNegative() || g.GreaterThan(decimal.NewFromInt(1<<31-1)) {
		return 0, sdk.Invalid("weight", "%s %s is not a weight Shopbox can hold", w.Value, w.Unit)
	}
	return int(g.IntPart()), nil
}
