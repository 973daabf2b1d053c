package shopbox

// The types below are the wire shapes of the API; the Go methods of Server hand
// out copies of them so tests can assert on exactly what a client would read.

// Client is a shop the account can act for.
type Client struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// Tag is a Shopbox category.
type Tag struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// CashRegister belongs to a branch; sales name the register they were rung up on.
type CashRegister struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// Branch is a Shopbox location; one per catalogue location.
type Branch struct {
	UID           int            `json:"uid"`
	Name          string         `json:"name"`
	Client        int            `json:"client"`
	CashRegisters []CashRegister `json:"cash_registers"`
}

// VarianceValue is one value of a variance type ("Rød" of "Farge").
type VarianceValue struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// VarianceType is a dimension products vary by.
type VarianceType struct {
	UID    int             `json:"uid"`
	Name   string          `json:"name"`
	Values []VarianceValue `json:"values"`
}

// Variance is a product variant ("variation" in the seed); its uid is what the
// seed stores in Rackbeat's "Shopbox variasjonsfelt ID".
type Variance struct {
	UID           int     `json:"uid"`
	Product       int     `json:"product"`
	SKUCode       string  `json:"sku_code"`
	SellingPrice  int64   `json:"selling_price"`
	Barcode       *string `json:"barcode"`
	VarianceValue []int   `json:"variance_value"`
	Name          string  `json:"name"`
}

// BOMLine is one component of a BOM product.
type BOMLine struct {
	SKUCode  string `json:"sku_code"`
	Quantity int    `json:"quantity"`
}

// Product is a Shopbox product; its uid is the seed's "Shopbox UID".
type Product struct {
	UID                 int        `json:"uid"`
	Name                string     `json:"name"`
	Description         string     `json:"description"`
	Tag                 *int       `json:"tag"`
	SellingPrice        int64      `json:"selling_price"`
	StockPrice          int64      `json:"stock_price"`
	Code                *string    `json:"code"`
	SKUCode             string     `json:"sku_code"`
	IntegrationNumber   *string    `json:"integration_number"`
	InventoryOnVariants int        `json:"inventory_on_variants"`
	Weight              int        `json:"weight"`
	IsBOM               bool       `json:"is_bom"`
	BOMLines            []BOMLine  `json:"bom_lines"`
	CreationTime        int64      `json:"creation_time"`
	UpdatedTime         int64      `json:"updated_time"`
	Variances           []Variance `json:"-"`
}

// ProductWithVariances is a product as the Go API hands it out: with its variances.
type ProductWithVariances struct {
	Product
	ProductVariances []Variance `json:"product_variances"`
}

// InventoryRow is the stock of one product or variance at one branch.
type InventoryRow struct {
	UID             int    `json:"uid"`
	Branch          int    `json:"branch"`
	Product         int    `json:"product"`
	ProductVariance *int   `json:"product_variance"`
	SKUCode         string `json:"sku_code"`
	Quantity        int    `json:"quantity"`
	UpdatedTime     int64  `json:"updated_time"`
}

// InventoryWrite records one POST /product-inventories, note included, so tests
// can see which idempotency keys reached the sandbox and how often.
type InventoryWrite struct {
	Time            int64  `json:"time"`
	Branch          int    `json:"branch"`
	Product         int    `json:"product"`
	ProductVariance *int   `json:"product_variance"`
	SKUCode         string `json:"sku_code"`
	Quantity        int    `json:"quantity"`
	Previous        int    `json:"previous"`
	Note            string `json:"note"`
}

// BasketItem is one line of a sale; a shipping line has Product nil.
type BasketItem struct {
	Product         *int    `json:"product"`
	ProductVariance *int    `json:"product_variance"`
	SKUCode         *string `json:"sku_code"`
	Quantity        int     `json:"quantity"`
	SellingPrice    int64   `json:"selling_price"`
	Discount        int64   `json:"discount"`
	Name            *string `json:"name"`
}

// Basket is a sale.
type Basket struct {
	UID          int          `json:"uid"`
	ExternalID   *string      `json:"external_id"`
	CreationTime int64        `json:"creation_time"`
	UpdatedTime  int64        `json:"updated_time"`
	CashRegister int          `json:"cash_register"`
	Branch       int          `json:"branch"`
	Staff        int          `json:"staff"`
	Canceled     bool         `json:"canceled"`
	Total        int64        `json:"total"`
	BasketItems  []BasketItem `json:"basket_items"`
}

// Webhook is a registered push URL.
type Webhook struct {
	UID   int    `json:"uid"`
	Event string `json:"event"`
	URL   string `json:"url"`
}

// Push events.
const (
	EventBasketCreated  = "basket.created"
	EventBasketCanceled = "basket.canceled"
)

func ptr[T any](v T) *T { return &v }

func cloneProduct(p *Product) ProductWithVariances {
	out := ProductWithVariances{Product: *p}
	out.Tag = clonePtr(p.Tag)
	out.Code = clonePtr(p.Code)
	out.IntegrationNumber = clonePtr(p.IntegrationNumber)
	out.BOMLines = append([]BOMLine(nil), p.BOMLines...)
	out.Variances = nil
	out.ProductVariances = make([]Variance, len(p.Variances))
	for i, v := range p.Variances {
		out.ProductVariances[i] = cloneVariance(v)
	}
	return out
}

func cloneVariance(v Variance) Variance {
	v.Barcode = clonePtr(v.Barcode)
	v.VarianceValue = append([]int{}, v.VarianceValue...)
	return v
}

func cloneBasket(b *Basket) Basket {
	out := *b
	out.ExternalID = clonePtr(b.ExternalID)
	out.BasketItems = make([]BasketItem, len(b.BasketItems))
	for i, it := range b.BasketItems {
		it.Product = clonePtr(it.Product)
		it.ProductVariance = clonePtr(it.ProductVariance)
		it.SKUCode = clonePtr(it.SKUCode)
		it.Name = clonePtr(it.Name)
		out.BasketItems[i] = it
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
