package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/core/host"
)

func newConnectCmd() *cobra.Command {
	var hc hostCmd
	var link string
	var wait time.Duration
	var refresh bool
	c := &cobra.Command{
		Use:   "connect --link ID -c FILE",
		Short: "Install a link on an OAuth channel (Shopify): print the address to approve the app at, then wait until the approval arrives",
		Long: `Install a link on a channel that grants access through OAuth, as the seed's
"paste the shop address, approve in Shopify". connect prints the channel's
authorize address; open it, approve, and the channel sends the browser to
<server.public_url>/oauth/callback/<link>. The running host (shopbridge run)
receives it; when no host is running, connect serves the callback itself on
server.listen. The access token is stored encrypted in the state database
(key: SHOPBRIDGE_STATE_KEY) and refreshed before it expires.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			cfg, h, err := hc.open(ctx)
			if err != nil {
				return err
			}
			defer h.Close()
			if err := checkLink(cfg, link); err != nil {
				return err
			}
			if refresh {
				if err := h.RefreshCredentials(ctx, link); err != nil {
					return err
				}
				exp, _, _ := h.StoredCredentials(ctx, link)
				fmt.Fprintf(c.OutOrStdout(), "access token of link %s refreshed; it expires %s\n", link, expiry(exp))
				return nil
			}
			// What is recorded before this install, so that only its own
			// outcome ends the wait.
			before, err := lastAuditID(ctx, h, link)
			if err != nil {
				return err
			}
			u, err := h.StartConnect(ctx, link)
			if err != nil {
				if errors.Is(err, host.ErrNoInstallNeeded) {
					fmt.Fprintf(c.OutOrStdout(), "nothing to do: %v\n", err)
					return nil
				}
				return err
			}
			redirect, _ := h.RedirectURL(link)
			out := c.OutOrStdout()
			fmt.Fprintf(out, "Open this address, check the shop and approve the app:\n\n  %s\n\n", u)
			fmt.Fprintf(out, "The channel then sends your browser to %s (valid for %s).\n", redirect, host.OAuthStateTTL)
			if wait <= 0 {
				return nil
			}
			if _, running := runningPID(cfg); !running {
				stop, err := serveCallback(cfg.Server.Listen, h)
				if err != nil {
					return fmt.Errorf("no shopbridge run is up to receive the callback and connect cannot listen on server.listen %s either (%v): start shopbridge run -c %s, or free the port", cfg.Server.Listen, err, hc.path)
				}
				defer stop()
				fmt.Fprintf(out, "No host is running: connect receives the callback itself on %s.\n", cfg.Server.Listen)
			} else {
				fmt.Fprintln(out, "The running host receives it.")
			}
			fmt.Fprintln(out, "Waiting for the approval …")
			return waitConnected(ctx, c, h, link, before, wait)
		},
	}
	hc.flags(c)
	c.Flags().StringVar(&link, "link", "", "the link to install")
	c.Flags().DurationVar(&wait, "wait", host.OAuthStateTTL, "how long to wait for the approval; 0 prints the address and returns")
	c.Flags().BoolVar(&refresh, "refresh", false, "refresh the installed link's access token now instead of installing (the running host refreshes before expiry on its own)")
	_ = c.MarkFlagRequired("link")
	return c
}

func lastAuditID(ctx context.Context, h *host.Host, link string) (int64, error) {
	es, err := h.Store().ListAudit(ctx, link, 1)
	if err != nil {
		return 0, fmt.Errorf("read the audit trail: %w", err)
	}
	if len(es) == 0 {
		return 0, nil
	}
	return es[0].ID, nil
}

// waitConnected polls the audit trail, which the host serving the callback
// writes, until the install is recorded.
func waitConnected(ctx context.Context, c *cobra.Command, h *host.Host, link string, after int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		es, err := h.Store().ListAudit(ctx, link, 20)
		if err != nil {
			return err
		}
		for i := len(es) - 1; i >= 0; i-- {
			e := es[i]
			if e.ID <= after || e.Flow != "connect" || e.Action != "connected" {
				continue
			}
			fmt.Fprintf(c.OutOrStdout(), "connected: link %s, %s\n", link, e.Detail)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no approval for link %s arrived within %s: run shopbridge connect --link %s again and approve within %s", link, limit, link, host.OAuthStateTTL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// serveCallback serves the install callback on listen until stop.
func serveCallback(listen string, h *host.Host) (stop func(), err error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(host.CallbackPattern, host.OAuthCallback(h))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
