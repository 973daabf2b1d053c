// Command shopbridge-connector-test is the test connector of
// sdk/internal/testconnector as a plugin binary.
package main

import (
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/testconnector"
)

func main() { sdk.Serve(testconnector.New(), testconnector.ServeOptions()...) }
