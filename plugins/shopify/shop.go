package shopify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

func (p pageInfo) after() any {
	if p.EndCursor == nil {
		return nil
	}
	return *p.EndCursor
}

type shopInfo struct {
	Name            string `json:"name"`
	MyshopifyDomain string `json:"myshopifyDomain"`
	CurrencyCode    string `json:"currencyCode"`
}

func (l *link) shop(ctx context.Context) (shopInfo, error) {
	var out struct {
		Shop shopInfo `json:"shop"`
	}
	if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.Shop, Cost: 1}, &out); err != nil {
		return shopInfo{}, err
	}
	l.mu.Lock()
	l.currency = out.Shop.CurrencyCode
	l.mu.Unlock()
	return out.Shop, nil
}

// shopCurrency is the shop's currency, read once per link.
func (l *link) shopCurrency(ctx context.Context) (string, error) {
	l.mu.Lock()
	c := l.currency
	l.mu.Unlock()
	if c != "" {
		return c, nil
	}
	s, err := l.shop(ctx)
	return s.CurrencyCode, err
}

// stockLocation is the location stock is written to: location_id, or the
// shop's primary location, resolved once per link.
func (l *link) stockLocation(ctx context.Context) (string, error) {
	if l.settings.LocationID != "" {
		return l.settings.LocationID, nil
	}
	l.mu.Lock()
	loc := l.location
	l.mu.Unlock()
	if loc != "" {
		return loc, nil
	}
	var out struct {
		Location *struct {
			ID string `json:"id"`
		} `json:"location"`
	}
	if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.PrimaryLocation, Cost: 1}, &out); err != nil {
		return "", err
	}
	if out.Location == nil {
		return "", sdk.Invalid("location_id", "the shop reports no primary location: set location_id")
	}
	l.mu.Lock()
	l.location = out.Location.ID
	l.mu.Unlock()
	return out.Location.ID, nil
}

// ListLocations lists the shop's active locations; the stock location is
// marked as the default.
func (l *link) ListLocations(ctx context.Context) ([]sdk.Location, error) {
	primary, err := l.stockLocation(ctx)
	if err != nil {
		return nil, err
	}
	var out []sdk.Location
	var after any
	for {
		var resp struct {
			Locations struct {
				Nodes []struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					IsActive bool   `json:"isActive"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"locations"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.Locations, Variables: map[string]any{"first": 100, "after": after}, Cost: 102}, &resp); err != nil {
			return nil, err
		}
		for _, n := range resp.Locations.Nodes {
			out = append(out, sdk.Location{ID: n.ID, Name: n.Name, Kind: "location", IsDefault: n.ID == primary})
		}
		if !resp.Locations.PageInfo.HasNextPage {
			return out, nil
		}
		after = resp.Locations.PageInfo.after()
	}
}

// ListCategories lists the shop's product types, which the seed maps to
// Rackbeat product groups. The category id is the product type itself.
func (l *link) ListCategories(ctx context.Context) ([]sdk.Category, error) {
	types := map[string]bool{}
	var after any
	known := true
	for {
		var resp struct {
			ProductTypes *struct {
				Nodes    []string `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"productTypes"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductTypes, Variables: map[string]any{"first": 250, "after": after}, Cost: 2}, &resp); err != nil {
			var se *sdk.Error
			if !errors.As(err, &se) || se.Class != sdk.ClassInvalid {
				return nil, err
			}
			known = false
			break
		}
		if resp.ProductTypes == nil {
			known = false
			break
		}
		for _, t := range resp.ProductTypes.Nodes {
			types[t] = true
		}
		if !resp.ProductTypes.PageInfo.HasNextPage {
			break
		}
		after = resp.ProductTypes.PageInfo.after()
	}
	if !known {
		// Some shops (and the sandbox) do not answer productTypes: collect
		// the product types from the products themselves.
		after = nil
		for {
			var resp struct {
				Products struct {
					Nodes []struct {
						ProductType string `json:"productType"`
					} `json:"nodes"`
					PageInfo pageInfo `json:"pageInfo"`
				} `json:"products"`
			}
			if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductTypesScan, Variables: map[string]any{"first": 250, "after": after}, Cost: 252}, &resp); err != nil {
				return nil, err
			}
			for _, n := range resp.Products.Nodes {
				types[n.ProductType] = true
			}
			if !resp.Products.PageInfo.HasNextPage {
				break
			}
			after = resp.Products.PageInfo.after()
		}
	}
	out := make([]sdk.Category, 0, len(types))
	for t := range types {
		if strings.TrimSpace(t) == "" {
			continue
		}
		out = append(out, sdk.Category{ID: t, Name: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Check authenticates (the shop's name), lists the locations, and reads
// the app's scopes where the token may.
func (l *link) Check(ctx context.Context) (sdk.CheckReport, error) {
	rep := sdk.CheckReport{Account: l.settings.Shop}
	s, err := l.shop(ctx)
	if err != nil {
		if sdk.ClassOf(err) == sdk.ClassUnauthenticated {
			rep.Items = append(rep.Items, sdk.CheckItem{Name: "authenticate", OK: false, Detail: err.Error(),
				Hint: "set a valid access_token, or install the app with shopbridge connect"})
			return rep, nil
		}
		return rep, err
	}
	rep.Items = append(rep.Items, sdk.CheckItem{Name: "authenticate", OK: true, Detail: fmt.Sprintf("shop %q (%s), currency %s", s.Name, s.MyshopifyDomain, s.CurrencyCode)})
	locs, err := l.ListLocations(ctx)
	switch {
	case err != nil:
		rep.Items = append(rep.Items, sdk.CheckItem{Name: "locations", OK: false, Detail: err.Error(), Hint: "grant the app the read_locations scope"})
	default:
		names := make([]string, 0, len(locs))
		found := false
		for _, loc := range locs {
			names = append(names, loc.Name)
			found = found || loc.IsDefault
		}
		item := sdk.CheckItem{Name: "locations", OK: len(locs) > 0, Detail: strings.Join(names, ", ")}
		if !found && l.settings.LocationID != "" {
			item.OK = false
			item.Hint = "location_id " + l.settings.LocationID + " is not an active location of the shop"
		}
		rep.Items = append(rep.Items, item)
	}
	var sc struct {
		CurrentAppInstallation *struct {
			AccessScopes []struct {
				Handle string `json:"handle"`
			} `json:"accessScopes"`
		} `json:"currentAppInstallation"`
	}
	if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.AccessScopes, Cost: 1}, &sc); err == nil && sc.CurrentAppInstallation != nil {
		have := map[string]bool{}
		for _, a := range sc.CurrentAppInstallation.AccessScopes {
			have[a.Handle] = true
		}
		var missing []string
		for _, want := range strings.Split(defaultScopes, ",") {
			// write_x implies read_x.
			if !have[want] && !(strings.HasPrefix(want, "read_") && have["write_"+strings.TrimPrefix(want, "read_")]) {
				missing = append(missing, want)
			}
		}
		item := sdk.CheckItem{Name: "scopes", OK: len(missing) == 0, Detail: fmt.Sprintf("%d scopes granted", len(have))}
		if len(missing) > 0 {
			item.Hint = "reinstall the app with the scopes " + strings.Join(missing, ", ")
		}
		rep.Items = append(rep.Items, item)
	}
	return rep, nil
}
