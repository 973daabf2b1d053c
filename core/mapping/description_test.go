package mapping

import (
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// A Rackbeat description that went to Shopify comes back as HTML
// ("<p>…</p>"); with direction both it must neither look like an edit nor
// put HTML into Rackbeat's plain-text description.
func TestDescriptionRoundTripThroughShopifyHTML(t *testing.T) {
	for html, text := range map[string]string{
		"<p>Lett kurv.</p>":                         "Lett kurv.",
		"<p>Kaffe &amp; te</p><p>Andra stycket</p>": "Kaffe & te\n\nAndra stycket",
		"<p>En rad<br>Andra raden</p>":              "En rad\nAndra raden",
		"<strong>Fet</strong> text":                 "Fet text",
		"  Bara text  ":                             "Bara text",
		"5 < 6 och 7 > 3":                           "5 < 6 och 7 > 3",
	} {
		if got := PlainText(html); got != text {
			t.Errorf("PlainText(%q) = %q, want %q", html, got, text)
		}
	}

	r := seedRules(t, "shopify", nil)
	rb := mug()
	want, wantV, fields, err := ToChannel(rb, r)
	if err != nil {
		t.Fatal(err)
	}
	have := want
	have.Description = "<p>" + rb.Description + "</p>"
	if diff := DiffChannel(want, wantV, have, wantV, fields, true); len(diff) != 0 {
		t.Errorf("the shop's HTML of Rackbeat's text differs in %v", diff)
	}
	if HashChannel(want, wantV) != HashChannel(have, wantV) {
		t.Error("the shop's HTML of the same text changed the channel hash")
	}
	in, err := ToRackbeat(have, wantV, r)
	if err != nil {
		t.Fatal(err)
	}
	if *in.Description != rb.Description {
		t.Errorf("Rackbeat would get description %q, want %q", *in.Description, rb.Description)
	}
	edited := have
	edited.Description = "<p>Ny text</p>"
	if diff := DiffChannel(want, wantV, edited, wantV, []string{sdk.FieldDescription}, true); len(diff) != 1 {
		t.Error("a changed description must still differ")
	}
}
