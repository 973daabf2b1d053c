// Command shopbridge is the shopbridge host: it keeps Rackbeat and the sales
// channels in agreement through connector plugins. This package is only the
// command line; the wiring lives in core/host.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/sdk"
)

// version is set at build time with -ldflags "-X main.version=1.2.3".
var version = ""

func hostVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries the exit code a command wants.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	root := newRoot()
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(os.Stderr, "shopbridge: "+strings.ReplaceAll(msg, "\n", "; "))
	}
	os.Exit(code)
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "shopbridge",
		Short:         "Keep Rackbeat and your sales channels in agreement: products, orders and stock",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%v: see \"%s --help\"", err, c.CommandPath())
	})
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "show the host's log on stderr (one-shot commands)")
	root.AddCommand(newVersionCmd(), newValidateCmd(), newPluginsCmd(), newRunCmd(),
		newCheckCmd(), newOrdersCmd(), newQuarantineCmd(), newStatusCmd(), newConnectCmd(), newReloadCmd(), newPlanCmd(), newSyncCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of shopbridge and the connector protocol it speaks",
		Args:  cobra.NoArgs,
		Run: func(c *cobra.Command, _ []string) {
			fmt.Fprintf(c.OutOrStdout(), "shopbridge %s (connector protocol %d, %s %s/%s)\n", hostVersion(), sdk.ProtocolVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		},
	}
}
