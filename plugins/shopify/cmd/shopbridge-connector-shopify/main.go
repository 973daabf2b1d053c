// Command shopbridge-connector-shopify is the Shopify connector binary; the
// shopbridge host starts it.
package main

import (
	"github.com/shopbridge/shopbridge/plugins/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

func main() { sdk.Serve(shopify.New()) }
