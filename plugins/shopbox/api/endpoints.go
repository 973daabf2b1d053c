package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxPerPage is the largest page the API serves.
const MaxPerPage = 100

// Page is one page of a list.
type Page[T any] struct {
	Items      []T
	Pagination Pagination
	ServerTime time.Time
}

// List reads one page of a list endpoint; page counts from 1.
func List[T any](ctx context.Context, c *Client, path string, q url.Values, page, perPage int) (Page[T], error) {
	if q == nil {
		q = url.Values{}
	}
	q.Set("page", strconv.Itoa(max(page, 1)))
	if perPage > 0 {
		q.Set("per-page", strconv.Itoa(min(perPage, MaxPerPage)))
	}
	var out struct {
		Data []T `json:"data"`
		Meta struct {
			Pagination Pagination `json:"pagination"`
		} `json:"meta"`
	}
	ans, err := c.Do(ctx, Request{Method: http.MethodGet, Path: path, Query: q, Idempotent: true}, &out)
	if err != nil {
		return Page[T]{}, err
	}
	return Page[T]{Items: out.Data, Pagination: out.Meta.Pagination, ServerTime: ans.ServerTime}, nil
}

// All reads every page of a short list (branches, tags, variance types).
func All[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	for page := 1; ; page++ {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		p, err := List[T](ctx, c, path, qq, page, MaxPerPage)
		if err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if !p.Pagination.More() || len(p.Items) == 0 {
			return all, nil
		}
	}
}

// get reads one object wrapped as {"data":…}.
func get[T any](ctx context.Context, c *Client, path string, q url.Values) (T, error) {
	var out struct {
		Data T `json:"data"`
	}
	_, err := c.Do(ctx, Request{Method: http.MethodGet, Path: path, Query: q, Idempotent: true}, &out)
	return out.Data, err
}

// send writes one object and reads the {"data":…} answer.
func write[T any](ctx context.Context, c *Client, req Request) (T, int, error) {
	var out struct {
		Data T `json:"data"`
	}
	ans, err := c.Do(ctx, req, &out)
	return out.Data, ans.Status, err
}

// Branches lists the shop's branches with their cash registers.
func (c *Client) Branches(ctx context.Context) ([]Branch, error) {
	return All[Branch](ctx, c, "branches", nil)
}

// Tags lists the shop's categories.
func (c *Client) Tags(ctx context.Context) ([]Tag, error) {
	return All[Tag](ctx, c, "tags", nil)
}

// CreateTag creates a category. It is not retried by the client: a lost
// answer would otherwise create the tag twice.
func (c *Client) CreateTag(ctx context.Context, name string) (Tag, error) {
	t, _, err := write[Tag](ctx, c, Request{Method: http.MethodPost, Path: "tags", Body: map[string]string{"name": name}})
	return t, err
}

// ProductExpand asks for what a product read needs: variances and tag.
const ProductExpand = "product_variances,tag0"

// ProductQuery filters GET /products.
type ProductQuery struct {
	UpdatedSince *int64 // unix seconds, inclusive
	SKU          string // product or variance SKU
}

// Products reads one page of products, ordered by uid.
func (c *Client) Products(ctx context.Context, f ProductQuery, page, perPage int) (Page[Product], error) {
	q := url.Values{"expand": {ProductExpand}}
	if f.UpdatedSince != nil {
		q.Set("updated_since", strconv.FormatInt(*f.UpdatedSince, 10))
	}
	if f.SKU != "" {
		q.Set("sku_code", f.SKU)
	}
	return List[Product](ctx, c, "products", q, page, perPage)
}

// Product reads one product with its variances and tag.
func (c *Client) Product(ctx context.Context, uid int) (Product, error) {
	return get[Product](ctx, c, "products/"+strconv.Itoa(uid), url.Values{"expand": {ProductExpand}})
}

// UpsertProduct creates (UID nil) or updates a product. An update is
// retried on transient failures; a create is not, so that a lost answer
// cannot make two products: the caller looks the product up by SKU before
// trying again.
func (c *Client) UpsertProduct(ctx context.Context, in ProductInput) (Product, bool, error) {
	p, status, err := write[Product](ctx, c, Request{
		Method: http.MethodPost, Path: "products/create-or-update",
		Query: url.Values{"expand": {ProductExpand}}, Body: in,
		Idempotent: in.UID != nil && *in.UID != 0,
	})
	return p, status == http.StatusCreated, err
}

// VarianceTypes lists the variance types with their values.
func (c *Client) VarianceTypes(ctx context.Context) ([]VarianceType, error) {
	return All[VarianceType](ctx, c, "variance-type", nil)
}

// VarianceTypeInput is the body of POST /variance-type/create-or-update.
type VarianceTypeInput struct {
	UID    *int                 `json:"uid"`
	Name   *string              `json:"name,omitempty"`
	Values []VarianceValueInput `json:"values"`
}

// VarianceValueInput is one value in a VarianceTypeInput; UID nil adds it.
type VarianceValueInput struct {
	UID  *int   `json:"uid"`
	Name string `json:"name"`
}

// UpsertVarianceType creates or extends a variance type.
func (c *Client) UpsertVarianceType(ctx context.Context, in VarianceTypeInput) (VarianceType, error) {
	vt, _, err := write[VarianceType](ctx, c, Request{Method: http.MethodPost, Path: "variance-type/create-or-update", Body: in})
	return vt, err
}

// InventoryQuery filters GET /product-inventories.
type InventoryQuery struct {
	Branch  int
	Product int
	SKU     string
}

// Inventories reads one page of stock rows.
func (c *Client) Inventories(ctx context.Context, f InventoryQuery, page, perPage int) (Page[InventoryRow], error) {
	q := url.Values{}
	if f.Branch != 0 {
		q.Set("branch", strconv.Itoa(f.Branch))
	}
	if f.Product != 0 {
		q.Set("product", strconv.Itoa(f.Product))
	}
	if f.SKU != "" {
		q.Set("sku_code", f.SKU)
	}
	return List[InventoryRow](ctx, c, "product-inventories", q, page, perPage)
}

// SetInventory sets the quantity of one unit at one branch. Setting is
// idempotent in itself, so the client retries it.
func (c *Client) SetInventory(ctx context.Context, in InventoryInput) (InventoryRow, error) {
	row, _, err := write[InventoryRow](ctx, c, Request{Method: http.MethodPost, Path: "product-inventories", Body: in, Idempotent: true})
	return row, err
}

// BasketQuery filters GET /baskets; nil bounds are open.
type BasketQuery struct {
	From, To     *int64 // creation_time, unix seconds, inclusive
	UpdatedSince *int64
}

// Baskets reads one page of sales, with their items' products.
func (c *Client) Baskets(ctx context.Context, f BasketQuery, page, perPage int) (Page[Basket], error) {
	q := url.Values{"expand": {"product0"}}
	set := func(k string, v *int64) {
		if v != nil {
			q.Set(k, strconv.FormatInt(*v, 10))
		}
	}
	set("from", f.From)
	set("to", f.To)
	set("updated_since", f.UpdatedSince)
	return List[Basket](ctx, c, "baskets", q, page, perPage)
}

// Basket reads one sale.
func (c *Client) Basket(ctx context.Context, uid int) (Basket, error) {
	return get[Basket](ctx, c, "baskets/"+strconv.Itoa(uid), url.Values{"expand": {"product0"}})
}

// Webhooks lists the registered push URLs.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	return All[Webhook](ctx, c, "webhooks", nil)
}

// CreateWebhook registers a push URL for an event.
func (c *Client) CreateWebhook(ctx context.Context, event, callback string) (Webhook, error) {
	wh, _, err := write[Webhook](ctx, c, Request{Method: http.MethodPost, Path: "webhooks", Body: map[string]string{"event": event, "url": callback}})
	return wh, err
}
