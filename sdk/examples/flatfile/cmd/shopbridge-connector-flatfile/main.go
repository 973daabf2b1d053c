// Command shopbridge-connector-flatfile is the example connector of the
// connector guide. The host starts it; run it with "describe" to see what
// it is.
package main

import (
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/examples/flatfile"
)

func main() { sdk.Serve(flatfile.New()) }
