// Command shopify-next is the Shopify connector under a later version
// number, as the next release of it would be: the connector swap test
// installs it next to the real 1.0.0 binary and moves links onto it.
//
// It wraps the connector rather than rebuilding it with a different
// plugins/shopify.Version because that is a constant the Makefile reads
// from its source line; only Describe differs, so everything the host
// sees of the new version apart from its number is the real connector.
package main

import (
	"github.com/shopbridge/shopbridge/plugins/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// version is the number the binary describes itself with, and drop a
// capability it no longer declares (none by default); the tests set them
// with -ldflags "-X main.version=… -X main.drop=…".
var version, drop = "1.1.0", ""

type next struct{ *shopify.Connector }

func (n next) Describe() sdk.Description {
	d := n.Connector.Describe()
	d.Version = version
	var caps []sdk.Capability
	for _, c := range d.Capabilities {
		if string(c) != drop {
			caps = append(caps, c)
		}
	}
	d.Capabilities = caps
	return d
}

func main() { sdk.Serve(next{shopify.New()}) }
