package graphql

import (
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/shopify/schema"
)

// TestDocumentsAreValid checks every document the connector can send
// against the real Admin API 2026-10 schema: a document the real Shopify
// would reject fails here.
func TestDocumentsAreValid(t *testing.T) {
	for _, d := range All() {
		if err := schema.Validate(d.Text); err != nil {
			t.Errorf("%s: %v\n%s", d.Name, err, d.Text)
		}
	}
}

func TestValidationCatchesAFieldTheSchemaLacks(t *testing.T) {
	bad := Document{Name: "Bad", Text: "query Bad { shop { name inventoryCount } }"}
	if err := schema.Validate(bad.Text); err == nil {
		t.Fatal("a document with a field the schema lacks was accepted; the schema test proves nothing")
	}
}
