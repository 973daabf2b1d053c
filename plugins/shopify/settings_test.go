package shopify

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

func TestBadSettingsNameTheKey(t *testing.T) {
	cases := map[string]string{
		`{}`:                        "shop",
		`{"shop": "not a domain!"}`: "shop",
		`{"shop": "a.myshopify.com", "quantity": "committed"}`:       "quantity",
		`{"shop": "a.myshopify.com", "plan": "gold"}`:                "plan",
		`{"shop": "a.myshopify.com", "api_version": "2024-01"}`:      "api_version",
		`{"shop": "a.myshopify.com", "location_id": "warehouse"}`:    "location_id",
		`{"shop": "a.myshopify.com", "restore_rate": -1}`:            "restore_rate",
		`{"shop": "a.myshopify.com", "bulk_threshold": "many"}`:      "bulk_threshold",
		`{"shop": "a.myshopify.com", "base_url": "ftp://x"}`:         "base_url",
		`{"shop": "a.myshopify.com", "grant": "client_credentials"}`: "client_id",
		`{"shop": "a.myshopify.com", "colour": "blue"}`:              "colour",
	}
	for raw, key := range cases {
		_, err := New().OpenLink(context.Background(), sdk.OpenRequest{LinkID: "x", Settings: []byte(raw)})
		e := sdk.AsError(err)
		if e == nil || e.Class != sdk.ClassInvalid || e.Field != key {
			t.Errorf("%s: got %v, want invalid naming %q", raw, err, key)
		}
	}
}

func TestShopNameBecomesItsDomainAndSecretsStayHidden(t *testing.T) {
	s, err := parseSettings([]byte(`{"shop": "https://Example/", "access_token": "shpat_secret", "client_secret": "s3cret"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Shop != "example.myshopify.com" || s.endpoint() != "https://example.myshopify.com/admin/api/2026-10/graphql.json" {
		t.Fatalf("shop %q endpoint %q", s.Shop, s.endpoint())
	}
	if got := fmt.Sprintf("%v %+v %#v", s, s, s); strings.Contains(got, "shpat_secret") || strings.Contains(got, "s3cret") {
		t.Fatalf("settings print as %q", got)
	}
}
