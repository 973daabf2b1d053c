package shopify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }

func (mutationRoot) field(e *execCtx, name string, args map[string]any) (any, error) {
	switch name {
	case "productSet":
		return e.productSet(args)
	case "productCreate":
		return e.productCreate(args)
	case "productUpdate":
		return e.productUpdate(args)
	case "productVariantsBulkCreate":
		return e.variantsBulk(args, true)
	case "productVariantsBulkUpdate":
		return e.variantsBulk(args, false)
	case "inventoryItemUpdate":
		return e.inventoryItemUpdate(args)
	case "inventorySetQuantities":
		return e.inventorySetQuantities(args)
	case "webhookSubscriptionCreate":
		return e.webhookCreate(args)
	case "webhookSubscriptionDelete":
		return e.webhookDelete(args)
	case "bulkOperationRunQuery":
		return e.bulkRunQuery(args)
	}
	return nil, &fieldError{msg: "The sandbox does not implement the mutation " + name + "; it is valid against the real schema."}
}

func userError(typ string, field []string, msg, code string) object {
	f := map[string]any{"field": field, "message": msg}
	if code != "" || typ != "UserError" {
		f["code"] = nilIfEmpty(code)
	}
	return &record{typ: typ, fields: f}
}

func payload(typ string, fields map[string]any) *record {
	if _, ok := fields["userErrors"]; !ok {
		fields["userErrors"] = []object{}
	}
	return &record{typ: typ, fields: fields}
}

// inputLimit is Shopify's cap on the length of an input array.
const inputLimit = 250

func maxInputError(n int) error {
	return &fieldError{msg: fmt.Sprintf("The input array size of %d is greater than the maximum allowed of %d.", n, inputLimit), code: "MAX_INPUT_SIZE_EXCEEDED"}
}

// applyProductFields copies the product-level fields present in in.
func applyProductFields(p *product, in map[string]any) {
	if v, ok := argString(in, "title"); ok {
		p.Title = v
	}
	if v, ok := argString(in, "descriptionHtml"); ok {
		p.DescriptionHTML = v
	}
	if v, ok := argString(in, "productType"); ok {
		p.ProductType = v
	}
	if v, ok := argString(in, "vendor"); ok {
		p.Vendor = v
	}
	if v, ok := argString(in, "status"); ok {
		p.Status = v
	}
	if v, ok := argString(in, "handle"); ok && v != "" {
		p.Handle = v
	}
	if _, ok := in["tags"]; ok {
		p.Tags = nil
		for _, t := range argList(in, "tags") {
			for _, part := range strings.Split(toString(t), ",") {
				if part = strings.TrimSpace(part); part != "" {
					p.Tags = append(p.Tags, part)
				}
			}
		}
	}
}

func (e *execCtx) newProduct(in map[string]any) *product {
	st := e.s.st
	now := e.s.now()
	p := &product{ID: st.newID("Product"), Status: "ACTIVE", Tags: []string{}, CreatedAt: now, UpdatedAt: now}
	applyProductFields(p, in)
	if p.Handle == "" {
		p.Handle = handleize(p.Title)
	}
	st.Products = append(st.Products, p)
	st.productByID[p.ID] = p
	return p
}

func (e *execCtx) newVariant(p *product) *variant {
	st := e.s.st
	now := e.s.now()
	v := &variant{ID: st.newID("ProductVariant"), Title: "Default Title", Price: "0.00", Position: len(p.Variants) + 1,
		CreatedAt: now, UpdatedAt: now, product: p,
		Item: invItem{ID: st.newID("InventoryItem"), Tracked: true, WeightUnit: "KILOGRAMS", UpdatedAt: now}}
	v.Item.Levels = []*level{newLevel(st.Locations[0].ID, 0, now)}
	p.Variants = append(p.Variants, v)
	st.indexVariant(v)
	return v
}

func (e *execCtx) deleteVariant(p *product, v *variant) {
	e.s.st.unindexVariant(v)
	for i, x := range p.Variants {
		if x == v {
			p.Variants = append(p.Variants[:i], p.Variants[i+1:]...)
			break
		}
	}
	for i, x := range p.Variants {
		x.Position = i + 1
	}
}

// applyVariant copies variant fields from a ProductVariantSetInput or
// ProductVariantsBulkInput. It returns a message when a field is unusable.
func (e *execCtx) applyVariant(v *variant, in map[string]any) string {
	if s, ok := argString(in, "price"); ok {
		d, err := decimal.NewFromString(s)
		if err != nil || d.IsNegative() {
			return "Price must be a non-negative decimal"
		}
		v.Price = money(d)
	}
	if _, ok := in["compareAtPrice"]; ok {
		v.CompareAt = ""
		if s, ok := argString(in, "compareAtPrice"); ok {
			if d, err := decimal.NewFromString(s); err == nil {
				v.CompareAt = money(d)
			}
		}
	}
	if _, ok := in["barcode"]; ok {
		v.Barcode, _ = argString(in, "barcode")
	}
	if s, ok := argString(in, "sku"); ok {
		e.s.st.setSKU(v, s)
	}
	if ovs := argList(in, "optionValues"); len(ovs) > 0 {
		if m, ok := ovs[0].(map[string]any); ok {
			if n, ok := argString(m, "name"); ok {
				v.Title = n
			}
		}
	}
	if item := argMap(in, "inventoryItem"); item != nil {
		if msg := e.applyItem(v, item); msg != "" {
			return msg
		}
	}
	v.UpdatedAt = e.s.now()
	return ""
}

func (e *execCtx) applyItem(v *variant, in map[string]any) string {
	it := &v.Item
	if s, ok := argString(in, "sku"); ok {
		e.s.st.setSKU(v, s)
	}
	if _, ok := in["cost"]; ok {
		it.Cost = ""
		if s, ok := argString(in, "cost"); ok {
			d, err := decimal.NewFromString(s)
			if err != nil {
				return "Cost must be a decimal"
			}
			it.Cost = money(d)
		}
	}
	if b, ok := in["tracked"].(bool); ok {
		it.Tracked = b
	}
	if m := argMap(in, "measurement"); m != nil {
		if w := argMap(m, "weight"); w != nil {
			f, ok := toFloat(w["value"])
			if !ok || f < 0 {
				return "Weight must be a non-negative number"
			}
			it.WeightValue = f
			it.WeightUnit, _ = argString(w, "unit")
		}
	}
	it.UpdatedAt = e.s.now()
	return ""
}

// setLevelQuantity stocks the item at the location if needed and sets a quantity.
func (e *execCtx) setLevelQuantity(v *variant, locID int64, name string, qty int) {
	l := v.level(locID)
	now := e.s.now()
	if l == nil {
		l = newLevel(locID, 0, now)
		v.Item.Levels = append(v.Item.Levels, l)
	}
	l.set(name, qty, now)
	e.s.emitLevel(v, l)
}

func (e *execCtx) productSet(args map[string]any) (any, error) {
	st := e.s.st
	in := argMap(args, "input")
	ident := argMap(args, "identifier")
	var p *product
	id, hasID := argString(ident, "id")
	if !hasID {
		id, hasID = argString(in, "id")
	}
	if hasID {
		if p = st.productByID[gidNum(id, "Product")]; p == nil {
			return payload("ProductSetPayload", map[string]any{"product": nil, "productSetOperation": nil,
				"userErrors": []object{userError("ProductSetUserError", []string{"input", "id"}, "Product does not exist", "PRODUCT_DOES_NOT_EXIST")}}), nil
		}
	} else if h, ok := argString(ident, "handle"); ok {
		for _, x := range st.Products {
			if x.Handle == h {
				p = x
			}
		}
		if p == nil {
			in["handle"] = h
		}
	}
	variants := argList(in, "variants")
	if len(variants) > 2048 {
		return payload("ProductSetPayload", map[string]any{"userErrors": []object{userError("ProductSetUserError", []string{"input", "variants"}, "Too many variants", "VARIANTS_OVER_LIMIT")}}), nil
	}
	created := p == nil
	if created {
		if t, _ := argString(in, "title"); strings.TrimSpace(t) == "" {
			return payload("ProductSetPayload", map[string]any{"product": nil, "productSetOperation": nil,
				"userErrors": []object{userError("ProductSetUserError", []string{"input", "title"}, "Title can't be blank", "INVALID_INPUT")}}), nil
		}
		p = e.newProduct(in)
	} else {
		applyProductFields(p, in)
	}
	var errs []object
	if _, ok := in["variants"]; ok {
		keep := map[*variant]bool{}
		for i, raw := range variants {
			vin, _ := raw.(map[string]any)
			var v *variant
			if vid, ok := argString(vin, "id"); ok {
				v = st.variantByID[gidNum(vid, "ProductVariant")]
				if v == nil || v.product != p {
					errs = append(errs, userError("ProductSetUserError", []string{"input", "variants", strconv.Itoa(i), "id"}, "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"))
					continue
				}
			} else {
				sku, _ := argString(vin, "sku")
				if item := argMap(vin, "inventoryItem"); item != nil && sku == "" {
					sku, _ = argString(item, "sku")
				}
				for _, x := range p.Variants {
					if !keep[x] && sku != "" && x.SKU == sku {
						v = x
					}
				}
				if v == nil {
					v = e.newVariant(p)
				}
			}
			keep[v] = true
			if msg := e.applyVariant(v, vin); msg != "" {
				errs = append(errs, userError("ProductSetUserError", []string{"input", "variants", strconv.Itoa(i)}, msg, "INVALID_VARIANT"))
			}
			for _, q := range argList(vin, "inventoryQuantities") {
				qm, _ := q.(map[string]any)
				loc := st.locationByID[gidNum(strOr(qm, "locationId"), "Location")]
				n, _ := argInt(qm, "quantity")
				name, _ := argString(qm, "name")
				if loc == nil || (name != "available" && name != "on_hand") {
					errs = append(errs, userError("ProductSetUserError", []string{"input", "variants", strconv.Itoa(i), "inventoryQuantities"}, "Invalid location or quantity name", "INVALID_INPUT"))
					continue
				}
				e.setLevelQuantity(v, loc.ID, name, n)
			}
		}
		for _, v := range append([]*variant(nil), p.Variants...) {
			if !keep[v] {
				e.deleteVariant(p, v)
			}
		}
		for i, v := range p.Variants {
			v.Position = i + 1
		}
	} else if created {
		e.newVariant(p)
	}
	p.UpdatedAt = e.s.now()
	e.s.emitProduct(p, created)
	if errs == nil {
		errs = []object{}
	}
	return payload("ProductSetPayload", map[string]any{"product": &productObj{p}, "productSetOperation": nil, "userErrors": errs}), nil
}

func (e *execCtx) productCreate(args map[string]any) (any, error) {
	in := argMap(args, "product")
	if in == nil {
		in = argMap(args, "input")
	}
	if t, _ := argString(in, "title"); strings.TrimSpace(t) == "" {
		return payload("ProductCreatePayload", map[string]any{"product": nil, "shop": &shopObj{},
			"userErrors": []object{userError("UserError", []string{"title"}, "Title can't be blank", "")}}), nil
	}
	p := e.newProduct(in)
	e.newVariant(p)
	e.s.emitProduct(p, true)
	return payload("ProductCreatePayload", map[string]any{"product": &productObj{p}, "shop": &shopObj{}}), nil
}

func (e *execCtx) productUpdate(args map[string]any) (any, error) {
	in := argMap(args, "product")
	if in == nil {
		in = argMap(args, "input")
	}
	id, _ := argString(in, "id")
	if ident := argMap(args, "identifier"); ident != nil {
		if v, ok := argString(ident, "id"); ok {
			id = v
		}
	}
	p := e.s.st.productByID[gidNum(id, "Product")]
	if p == nil {
		return payload("ProductUpdatePayload", map[string]any{"product": nil,
			"userErrors": []object{userError("UserError", []string{"id"}, "Product does not exist", "")}}), nil
	}
	applyProductFields(p, in)
	p.UpdatedAt = e.s.now()
	e.s.emitProduct(p, false)
	return payload("ProductUpdatePayload", map[string]any{"product": &productObj{p}}), nil
}

func (e *execCtx) variantsBulk(args map[string]any, create bool) (any, error) {
	st := e.s.st
	typ, errTyp := "ProductVariantsBulkUpdatePayload", "ProductVariantsBulkUpdateUserError"
	if create {
		typ, errTyp = "ProductVariantsBulkCreatePayload", "ProductVariantsBulkCreateUserError"
	}
	list := argList(args, "variants")
	if len(list) > inputLimit {
		return nil, maxInputError(len(list))
	}
	p := st.productByID[gidNum(strOr(args, "productId"), "Product")]
	if p == nil {
		return payload(typ, map[string]any{"product": nil, "productVariants": nil,
			"userErrors": []object{userError(errTyp, []string{"productId"}, "Product does not exist", "PRODUCT_DOES_NOT_EXIST")}}), nil
	}
	var out []object
	var errs []object
	if create {
		strategy, _ := argString(args, "strategy")
		if len(p.Variants) == 1 && len(list) > 0 && (strategy == "REMOVE_STANDALONE_VARIANT" || strategy != "PRESERVE_STANDALONE_VARIANT" && p.Variants[0].Title == "Default Title") {
			e.deleteVariant(p, p.Variants[0])
		}
	}
	for i, raw := range list {
		vin, _ := raw.(map[string]any)
		var v *variant
		if create {
			v = e.newVariant(p)
		} else {
			v = st.variantByID[gidNum(strOr(vin, "id"), "ProductVariant")]
			if v == nil || v.product != p {
				errs = append(errs, userError(errTyp, []string{"variants", strconv.Itoa(i), "id"}, "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST"))
				continue
			}
		}
		if msg := e.applyVariant(v, vin); msg != "" {
			errs = append(errs, userError(errTyp, []string{"variants", strconv.Itoa(i)}, msg, "INVALID"))
		}
		for _, q := range argList(vin, "inventoryQuantities") {
			qm, _ := q.(map[string]any)
			loc := st.locationByID[gidNum(strOr(qm, "locationId"), "Location")]
			n, _ := argInt(qm, "availableQuantity")
			if loc == nil {
				errs = append(errs, userError(errTyp, []string{"variants", strconv.Itoa(i), "inventoryQuantities"}, "Location does not exist", "TRACKED_VARIANT_LOCATION_NOT_FOUND"))
				continue
			}
			e.setLevelQuantity(v, loc.ID, "available", n)
		}
		out = append(out, &variantObj{v})
	}
	p.UpdatedAt = e.s.now()
	e.s.emitProduct(p, false)
	if errs == nil {
		errs = []object{}
	}
	return payload(typ, map[string]any{"product": &productObj{p}, "productVariants": out, "userErrors": errs}), nil
}

func (e *execCtx) inventoryItemUpdate(args map[string]any) (any, error) {
	v := e.s.st.itemByID[gidNum(strOr(args, "id"), "InventoryItem")]
	if v == nil {
		return payload("InventoryItemUpdatePayload", map[string]any{"inventoryItem": nil,
			"userErrors": []object{userError("UserError", []string{"id"}, "Inventory item does not exist", "")}}), nil
	}
	if msg := e.applyItem(v, argMap(args, "input")); msg != "" {
		return payload("InventoryItemUpdatePayload", map[string]any{"inventoryItem": nil,
			"userErrors": []object{userError("UserError", []string{"input"}, msg, "")}}), nil
	}
	v.product.UpdatedAt = e.s.now()
	e.s.emitProduct(v.product, false)
	return payload("InventoryItemUpdatePayload", map[string]any{"inventoryItem": &itemObj{v}}), nil
}

// inventoryReasons are the reasons inventorySetQuantities accepts.
var inventoryReasons = map[string]bool{
	"correction": true, "cycle_count_available": true, "damaged": true, "movement_created": true,
	"movement_updated": true, "movement_received": true, "movement_canceled": true, "other": true,
	"promotion": true, "quality_control": true, "received": true, "reservation_created": true,
	"reservation_deleted": true, "reservation_updated": true, "restock": true, "safety_stock": true, "shrinkage": true,
}

type idemEntry struct {
	hash   string
	result *record
}

func (e *execCtx) idempotencyKey() (string, bool) {
	if e.cur == nil {
		return "", false
	}
	d := e.cur.Directives.ForName("idempotent")
	if d == nil {
		return "", false
	}
	k, _ := d.ArgumentMap(e.vars)["key"].(string)
	return k, true
}

func (e *execCtx) inventorySetQuantities(args map[string]any) (any, error) {
	const typ, errTyp = "InventorySetQuantitiesPayload", "InventorySetQuantitiesUserError"
	in := argMap(args, "input")
	rows := argList(in, "quantities")
	if len(rows) > inputLimit {
		return nil, maxInputError(len(rows))
	}
	// As of 2026-04 the key is required; how Shopify words the refusal is a
	// guess, kept here in one place.
	key, ok := e.idempotencyKey()
	if !ok {
		return nil, &fieldError{msg: "The @idempotent directive with a key is required for inventorySetQuantities as of API version 2026-04.", code: "BAD_REQUEST"}
	}
	if strings.TrimSpace(key) == "" {
		return nil, &fieldError{msg: "The idempotency key cannot be an empty string or whitespace only.", code: "BAD_REQUEST"}
	}
	canon, _ := json.Marshal(in)
	sum := sha256.Sum256(canon)
	hash := hex.EncodeToString(sum[:])
	if prev, ok := e.s.idempotency["inventorySetQuantities|"+key]; ok {
		if prev.hash != hash {
			return payload(typ, map[string]any{"inventoryAdjustmentGroup": nil, "userErrors": []object{
				userError(errTyp, []string{"input"}, "The same idempotency key cannot be used with different operation parameters.", "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")}}), nil
		}
		return prev.result, nil
	}
	result := e.setQuantities(in, rows)
	// Only an applied write claims the key: a refused one changed nothing, so
	// the client may correct it (a stale changeFromQuantity) and retry.
	if errs, _ := result.fields["userErrors"].([]object); len(errs) == 0 {
		e.s.idempotency["inventorySetQuantities|"+key] = idemEntry{hash: hash, result: result}
	}
	return result, nil
}

func (e *execCtx) setQuantities(in map[string]any, rows []any) *record {
	const typ, errTyp = "InventorySetQuantitiesPayload", "InventorySetQuantitiesUserError"
	st := e.s.st
	fail := func(errs []object) *record {
		return payload(typ, map[string]any{"inventoryAdjustmentGroup": nil, "userErrors": errs})
	}
	name, _ := argString(in, "name")
	if name != "available" && name != "on_hand" {
		return fail([]object{userError(errTyp, []string{"input", "name"}, "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")})
	}
	reason, _ := argString(in, "reason")
	if !inventoryReasons[reason] {
		return fail([]object{userError(errTyp, []string{"input", "reason"}, "The specified reason is invalid.", "INVALID_REASON")})
	}
	type change struct {
		v   *variant
		loc int64
		qty int
	}
	var changes []change
	var errs []object
	for i, raw := range rows {
		row, _ := raw.(map[string]any)
		path := func(f string) []string { return []string{"input", "quantities", strconv.Itoa(i), f} }
		v := st.itemByID[gidNum(strOr(row, "inventoryItemId"), "InventoryItem")]
		if v == nil {
			errs = append(errs, userError(errTyp, path("inventoryItemId"), "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM"))
			continue
		}
		loc := st.locationByID[gidNum(strOr(row, "locationId"), "Location")]
		if loc == nil {
			errs = append(errs, userError(errTyp, path("locationId"), "The specified location could not be found.", "INVALID_LOCATION"))
			continue
		}
		if !v.Item.Tracked {
			errs = append(errs, userError(errTyp, path("inventoryItemId"), "The specified inventory item is not tracked.", "NON_MUTABLE_INVENTORY_ITEM"))
			continue
		}
		qty, _ := argInt(row, "quantity")
		if qty < 0 && name == "on_hand" {
			errs = append(errs, userError(errTyp, path("quantity"), "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"))
			continue
		}
		if qty > 1_000_000_000 {
			errs = append(errs, userError(errTyp, path("quantity"), "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"))
			continue
		}
		cfq, present := row["changeFromQuantity"]
		if !present {
			// The schema has no dedicated code for a missing changeFromQuantity;
			// COMPARE_QUANTITY_REQUIRED is the nearest one it offers.
			errs = append(errs, userError(errTyp, path("changeFromQuantity"), "changeFromQuantity is required on every quantity as of 2026-04; pass null to skip the check.", "COMPARE_QUANTITY_REQUIRED"))
			continue
		}
		current := 0
		if l := v.level(loc.ID); l != nil {
			current = l.Quantities[name]
		}
		if cfq != nil {
			want, _ := toInt(cfq)
			if want != current {
				errs = append(errs, userError(errTyp, path("changeFromQuantity"), "The specified compare quantity does not match the current quantity.", "CHANGE_FROM_QUANTITY_STALE"))
				continue
			}
		}
		changes = append(changes, change{v: v, loc: loc.ID, qty: qty})
	}
	if len(errs) > 0 {
		return fail(errs)
	}
	st.Adjustments++
	groupID := idBase["InventoryAdjustmentGroup"] + st.Adjustments
	var out []object
	now := e.s.now()
	for _, c := range changes {
		l := c.v.level(c.loc)
		if l == nil {
			l = newLevel(c.loc, 0, now)
			c.v.Item.Levels = append(c.v.Item.Levels, l)
		}
		delta := l.set(name, c.qty, now)
		other := "on_hand"
		if name == "on_hand" {
			other = "available"
		}
		for _, n := range []string{name, other} {
			out = append(out, &record{typ: "InventoryChange", fields: map[string]any{
				"name": n, "delta": delta, "quantityAfterChange": l.Quantities[n],
				"item": &itemObj{c.v}, "location": &locationObj{st.locationByID[c.loc]}, "ledgerDocumentUri": nil,
			}})
		}
		if delta != 0 {
			e.s.emitLevel(c.v, l)
		}
	}
	ref, _ := argString(in, "referenceDocumentUri")
	group := &record{typ: "InventoryAdjustmentGroup", fields: map[string]any{
		"id": gid("InventoryAdjustmentGroup", groupID), "createdAt": ts(now), "reason": reason,
		"referenceDocumentUri": nilIfEmpty(ref), "changes": out, "app": nil, "staffMember": nil,
	}}
	return payload(typ, map[string]any{"inventoryAdjustmentGroup": group, "userErrors": []object{}})
}

func (e *execCtx) webhookCreate(args map[string]any) (any, error) {
	const typ = "WebhookSubscriptionCreatePayload"
	st := e.s.st
	topic, _ := argString(args, "topic")
	in := argMap(args, "webhookSubscription")
	cb, ok := argString(in, "callbackUrl")
	if !ok {
		cb, _ = argString(in, "uri")
	}
	u, err := url.Parse(cb)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return payload(typ, map[string]any{"webhookSubscription": nil, "userErrors": []object{
			userError("UserError", []string{"webhookSubscription", "callbackUrl"}, "Address is invalid", "")}}), nil
	}
	for _, w := range st.Webhooks {
		if w.Topic == topic && w.CallbackURL == cb {
			return payload(typ, map[string]any{"webhookSubscription": nil, "userErrors": []object{
				userError("UserError", []string{"webhookSubscription", "callbackUrl"}, "Address for this topic has already been taken", "")}}), nil
		}
	}
	now := e.s.now()
	w := &webhookSub{ID: st.newID("WebhookSubscription"), Topic: topic, CallbackURL: cb, CreatedAt: now, UpdatedAt: now}
	st.Webhooks = append(st.Webhooks, w)
	return payload(typ, map[string]any{"webhookSubscription": &webhookObj{w}}), nil
}

func (e *execCtx) webhookDelete(args map[string]any) (any, error) {
	st := e.s.st
	id, _ := argString(args, "id")
	for i, w := range st.Webhooks {
		if gid("WebhookSubscription", w.ID) == id {
			st.Webhooks = append(st.Webhooks[:i], st.Webhooks[i+1:]...)
			return payload("WebhookSubscriptionDeletePayload", map[string]any{"deletedWebhookSubscriptionId": id}), nil
		}
	}
	return payload("WebhookSubscriptionDeletePayload", map[string]any{"deletedWebhookSubscriptionId": nil, "userErrors": []object{
		userError("UserError", []string{"id"}, "Webhook subscription does not exist", "")}}), nil
}
