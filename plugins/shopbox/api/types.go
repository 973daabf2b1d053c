package api

// Shop is a client (shop) the account may act for.
type Shop struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// Tag is a Shopbox category.
type Tag struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// CashRegister is a till of a branch.
type CashRegister struct {
	UID  int    `json:"uid"`
	Name string `json:"name"`
}

// Branch is a Shopbox location.
type Branch struct {
	UID           int            `json:"uid"`
	Name          string         `json:"name"`
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

// Variance is a product variant; its uid is the seed's "variation ID".
type Variance struct {
	UID           int     `json:"uid"`
	Product       int     `json:"product"`
	SKUCode       string  `json:"sku_code"`
	SellingPrice  int64   `json:"selling_price"` // øre incl. VAT
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
	Tag0                *Tag       `json:"tag0"`
	SellingPrice        int64      `json:"selling_price"` // øre incl. VAT
	StockPrice          int64      `json:"stock_price"`   // øre excl. VAT
	Code                *string    `json:"code"`          // barcode
	SKUCode             string     `json:"sku_code"`
	IntegrationNumber   *string    `json:"integration_number"`
	InventoryOnVariants int        `json:"inventory_on_variants"`
	Weight              int        `json:"weight"` // grams
	IsBOM               bool       `json:"is_bom"`
	BOMLines            []BOMLine  `json:"bom_lines"`
	CreationTime        int64      `json:"creation_time"`
	UpdatedTime         int64      `json:"updated_time"`
	ProductVariances    []Variance `json:"product_variances"`
}

// VarianceInput is a variant in a create-or-update; nil fields are left alone.
type VarianceInput struct {
	UID           int     `json:"uid"` // 0 creates a variance
	SellingPrice  *int64  `json:"selling_price,omitempty"`
	VarianceValue *[]int  `json:"variance_value,omitempty"`
	Barcode       *string `json:"barcode,omitempty"`
	SKUCode       *string `json:"sku_code,omitempty"`
	Name          *string `json:"name,omitempty"`
}

// ProductInput is the body of POST /products/create-or-update; nil fields
// are left unchanged on update.
type ProductInput struct {
	UID                 *int             `json:"uid"` // nil creates a product
	Name                *string          `json:"name,omitempty"`
	Description         *string          `json:"description,omitempty"`
	Tag                 *int             `json:"tag,omitempty"`
	SellingPrice        *int64           `json:"selling_price,omitempty"`
	StockPrice          *int64           `json:"stock_price,omitempty"`
	Code                *string          `json:"code,omitempty"`
	SKUCode             *string          `json:"sku_code,omitempty"`
	IntegrationNumber   *string          `json:"integration_number,omitempty"`
	InventoryOnVariants *int             `json:"inventory_on_variants,omitempty"`
	Weight              *int             `json:"weight,omitempty"`
	IsBOM               *bool            `json:"is_bom,omitempty"`
	BOMLines            *[]BOMLine       `json:"bom_lines,omitempty"`
	Variants            *[]VarianceInput `json:"variants,omitempty"`
}

// InventoryRow is the stock of one product or variance at one branch.
type InventoryRow struct {
	UID             int    `json:"uid"`
	Branch          int    `json:"branch"`
	Product         int    `json:"product"`
	ProductVariance *int   `json:"product_variance"`
	SKUCode         string `json:"sku_code"`
	Quantity        int64  `json:"quantity"`
	UpdatedTime     int64  `json:"updated_time"`
}

// InventoryInput is the body of POST /product-inventories: it sets the
// quantity of one unit at one branch.
type InventoryInput struct {
	Branch          int    `json:"branch"`
	Product         int    `json:"product"`
	ProductVariance *int   `json:"product_variance"`
	Quantity        int64  `json:"quantity"`
	Note            string `json:"note"`
}

// BasketItem is one line of a sale; a shipping line has Product nil.
type BasketItem struct {
	Product         *int     `json:"product"`
	ProductVariance *int     `json:"product_variance"`
	SKUCode         *string  `json:"sku_code"`
	Quantity        int64    `json:"quantity"`
	SellingPrice    int64    `json:"selling_price"` // unit price, øre incl. VAT
	Discount        Ore      `json:"discount"`      // for the whole line, øre
	Name            *string  `json:"name"`
	Product0        *Product `json:"product0"`
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

// Pagination is meta.pagination of a list answer.
type Pagination struct {
	Total       int `json:"total"`
	Count       int `json:"count"`
	PerPage     int `json:"per_page"`
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
	Links       struct {
		Next *string `json:"next"`
	} `json:"links"`
}

// More reports whether a page follows this one.
func (p Pagination) More() bool {
	if p.TotalPages > 0 {
		return p.CurrentPage < p.TotalPages
	}
	return p.Links.Next != nil
}
