// Command shopbridge-connector-shopbox is the Shopbox connector binary. The
// shopbridge host starts it; run by hand with "describe" it prints what it is.
package main

import (
	"github.com/shopbridge/shopbridge/plugins/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

func main() { sdk.Serve(shopbox.New()) }
