package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// The installation of an OAuth channel (`shopbridge connect`): the
// operator opens the channel's authorize URL, approves, and the channel
// sends the browser to this host's /oauth/callback/{link}. The state that
// ties the callback to the install is random, kept server-side as a hash
// (in the state database, so a `connect` run by the CLI and the callback
// served by the running host agree), single use and short-lived.

const (
	// oauthStateSecret names the state secret that holds the hash of the
	// pending install's state.
	oauthStateSecret = "oauth_state"
	// OAuthStateTTL is how long an install may take from the printed URL to
	// the callback.
	OAuthStateTTL = 10 * time.Minute
	// CallbackPattern is the route OAuthCallback serves.
	CallbackPattern = "GET /oauth/callback/{link}"
)

// ErrNoInstallNeeded says a link gets its credentials without an install:
// a token in its settings, or the client-credentials grant.
var ErrNoInstallNeeded = errors.New("no install needed")

// RedirectURL is where the channel sends the browser after approval:
// server.public_url + /oauth/callback/<link>.
func (h *Host) RedirectURL(link string) (string, error) {
	base := strings.TrimRight(h.cfg.Server.PublicURL, "/")
	if base == "" {
		return "", errors.New("server.public_url is not set: set it to the address at which browsers reach this host's HTTP port (the channel redirects there after approval)")
	}
	return base + "/oauth/callback/" + url.PathEscape(link), nil
}

// StartConnect begins the install of a link: it stores a fresh state
// (replacing an earlier pending one) and returns the URL the operator
// opens to approve the app. The callback must reach a host that serves
// OAuthCallback on the same state database within OAuthStateTTL.
func (h *Host) StartConnect(ctx context.Context, linkID string) (string, error) {
	lc, err := h.linkConfig(linkID)
	if err != nil {
		return "", err
	}
	if grant := settingString(lc, "grant"); grant == "client_credentials" {
		return "", fmt.Errorf("link %s uses the client-credentials grant (settings.grant): it fetches its own token, %w; run \"shopbridge check --link %s\" to see it work", linkID, ErrNoInstallNeeded, linkID)
	}
	if settingString(lc, "access_token") != "" {
		return "", fmt.Errorf("link %s has an access token in its settings (settings.access_token), %w: remove it to install through OAuth instead", linkID, ErrNoInstallNeeded)
	}
	redirect, err := h.RedirectURL(linkID)
	if err != nil {
		return "", err
	}
	l, err := h.OpenLink(ctx, linkID)
	if err != nil {
		return "", err
	}
	if !l.plugin.Has(sdk.CapAuthorize) {
		name, version := l.plugin.Connector()
		return "", fmt.Errorf("connector %s %s of link %s does not install through OAuth: put the channel's credentials in the link's settings", name, version, linkID)
	}
	st, err := randomState()
	if err != nil {
		return "", err
	}
	if err := h.db.PutSecret(ctx, linkID, oauthStateSecret, stateHash(st), time.Now().Add(OAuthStateTTL)); err != nil {
		return "", fmt.Errorf("link %s: keep the install's state: %w", linkID, err)
	}
	u, err := l.plugin.StartAuthorization(ctx, redirect, st)
	if err != nil {
		return "", fmt.Errorf("link %s: start the install: %w", linkID, err)
	}
	return u, nil
}

// settingString reads a plain string setting of a link ("" for a secret
// reference or anything else).
func settingString(lc *config.Link, key string) string {
	switch v := lc.Settings[key].(type) {
	case string:
		return v
	case config.Secret:
		return v.Value()
	}
	return ""
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make the install's state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func stateHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// errBadState is what a callback with a wrong, used or expired state gets.
type errBadState struct{ why string }

func (e errBadState) Error() string { return e.why }

// consumeState checks a callback's state against the pending one and, if
// it matches, removes it, so a state is good once. A state that does not
// match leaves the pending one alone: a forged callback must not cancel
// the operator's install.
func (h *Host) consumeState(ctx context.Context, linkID, got string) error {
	return h.db.InTx(ctx, func(tx *state.Tx) error {
		s, ok, err := tx.GetSecret(linkID, oauthStateSecret)
		if err != nil {
			return err
		}
		if !ok {
			return errBadState{"no install of link " + linkID + " is pending (or this callback was used already): run shopbridge connect --link " + linkID + " again"}
		}
		if subtle.ConstantTimeCompare([]byte(stateHash(got)), []byte(s.Value)) != 1 {
			return errBadState{"the callback's state does not match the install started for link " + linkID + ": open the URL shopbridge connect printed last"}
		}
		if err := tx.DeleteSecret(linkID, oauthStateSecret); err != nil {
			return err
		}
		if !s.ExpiresAt.IsZero() && time.Now().After(s.ExpiresAt) {
			return errBadState{"the install of link " + linkID + " expired (it must finish within " + OAuthStateTTL.String() + "): run shopbridge connect --link " + linkID + " again"}
		}
		return nil
	})
}

// CompleteConnect finishes an install from the channel's callback query:
// it checks the state, has the connector exchange the code, and stores the
// credentials encrypted in the state database, where the link reads them
// whenever it opens.
func (h *Host) CompleteConnect(ctx context.Context, linkID string, query url.Values) (sdk.Credentials, error) {
	if _, err := h.linkConfig(linkID); err != nil {
		return sdk.Credentials{}, err
	}
	if e := query.Get("error"); e != "" {
		return sdk.Credentials{}, fmt.Errorf("the channel did not approve the install of link %s (%s %s): run shopbridge connect --link %s again", linkID, e, query.Get("error_description"), linkID)
	}
	st := query.Get("state")
	if err := h.consumeState(ctx, linkID, st); err != nil {
		return sdk.Credentials{}, err
	}
	redirect, err := h.RedirectURL(linkID)
	if err != nil {
		return sdk.Credentials{}, err
	}
	l, err := h.OpenLink(ctx, linkID)
	if err != nil {
		return sdk.Credentials{}, err
	}
	// The connector checks the state again where it can (Shopify: query
	// expected_state, left out of the hmac).
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("expected_state", st)
	creds, err := l.plugin.CompleteAuthorization(ctx, redirect, q)
	if err != nil {
		return sdk.Credentials{}, fmt.Errorf("link %s: finish the install: %w", linkID, err)
	}
	if err := h.storeCredentials(ctx, linkID, creds); err != nil {
		return sdk.Credentials{}, err
	}
	h.log.Info("link connected", "link", linkID, "account", l.plugin.Account(), "expires", creds.ExpiresAt)
	_ = h.db.Audit(ctx, state.AuditEntry{Link: linkID, Flow: "connect", Action: "connected", Detail: "credentials stored, expire " + formatExpiry(creds.ExpiresAt)})
	return creds, nil
}

func formatExpiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func (h *Host) storeCredentials(ctx context.Context, linkID string, c sdk.Credentials) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("link %s: encode credentials: %w", linkID, err)
	}
	if err := h.db.PutSecret(ctx, linkID, credentialsSecret, string(b), c.ExpiresAt); err != nil {
		return fmt.Errorf("link %s: store its credentials: %w", linkID, err)
	}
	return nil
}

// ConnectedSince reports whether the link has stored credentials, and when
// their access token expires (zero: never).
func (h *Host) StoredCredentials(ctx context.Context, linkID string) (expires time.Time, ok bool, err error) {
	s, ok, err := h.db.GetSecret(ctx, linkID, credentialsSecret)
	if err != nil || !ok {
		return time.Time{}, ok, err
	}
	return s.ExpiresAt, true, nil
}

// OAuthCallback serves CallbackPattern: it completes the install and shows
// a small page saying whether the link is connected. Mount it with
// h.Handle(CallbackPattern, OAuthCallback(h)) before Run.
func OAuthCallback(h *Host) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		link := r.PathValue("link")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		_, err := h.CompleteConnect(r.Context(), link, r.URL.Query())
		if err != nil {
			status := http.StatusBadGateway
			var bad errBadState
			switch {
			case errors.As(err, &bad):
				status = http.StatusForbidden
			case sdk.ClassOf(err) == sdk.ClassNotFound:
				status = http.StatusNotFound
			case sdk.ClassOf(err) == sdk.ClassUnauthenticated || sdk.ClassOf(err) == sdk.ClassInvalid:
				status = http.StatusForbidden
			}
			h.log.Warn("install callback refused", "link", link, "error", err)
			w.WriteHeader(status)
			fmt.Fprintf(w, page, "Not connected", html.EscapeString("Link "+link+" was not connected: "+err.Error()))
			return
		}
		fmt.Fprintf(w, page, "Connected", html.EscapeString("Link "+link+" is connected. You can close this page; shopbridge keeps the link's token fresh."))
	})
}

const page = `<!doctype html><html><head><meta charset="utf-8"><title>shopbridge</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>%s</h1><p>%s</p></body></html>
`

// RefreshCredentials trades a link's stored refresh token for a new access
// token through its connector, which starts using it at once, and stores
// the new credentials.
func (h *Host) RefreshCredentials(ctx context.Context, linkID string) error {
	h.refreshMu.Lock()
	defer h.refreshMu.Unlock()
	s, ok, err := h.db.GetSecret(ctx, linkID, credentialsSecret)
	if err != nil {
		return fmt.Errorf("link %s: read its credentials: %w", linkID, err)
	}
	if !ok {
		return fmt.Errorf("link %s has no stored credentials: install it with shopbridge connect --link %s", linkID, linkID)
	}
	var old sdk.Credentials
	if err := json.Unmarshal([]byte(s.Value), &old); err != nil {
		return fmt.Errorf("link %s: its stored credentials are unreadable: install it again with shopbridge connect --link %s", linkID, linkID)
	}
	l, err := h.OpenLink(ctx, linkID)
	if err != nil {
		return err
	}
	// A refresh rotates the refresh token at the channel the moment the
	// channel answers; abandoning it half-way (the host stopping, a caller
	// giving up) would leave the store with a token the channel no longer
	// takes. So once started it runs to its end, bounded by its own timeout.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	nc, err := l.plugin.RefreshAuthorization(rctx, old)
	if err != nil {
		_ = h.db.Audit(ctx, state.AuditEntry{Link: linkID, Flow: "connect", Action: "refresh_failed", Detail: err.Error()})
		return fmt.Errorf("link %s: refresh its access token: %w", linkID, err)
	}
	if nc.RefreshToken == "" {
		// A channel that does not rotate refresh tokens keeps the old one good.
		nc.RefreshToken, nc.RefreshExpiresAt = old.RefreshToken, old.RefreshExpiresAt
	}
	if err := h.storeCredentials(rctx, linkID, nc); err != nil {
		return err
	}
	h.log.Info("access token refreshed", "link", linkID, "expires", nc.ExpiresAt)
	return nil
}

// RefreshIfUnauthenticated refreshes the link's stored credentials when err
// says the channel refused its token, and reports whether it did; the
// caller then retries. Links without stored credentials are left alone.
func (h *Host) RefreshIfUnauthenticated(ctx context.Context, linkID string, err error) bool {
	if sdk.ClassOf(err) != sdk.ClassUnauthenticated {
		return false
	}
	if _, ok, gerr := h.StoredCredentials(ctx, linkID); gerr != nil || !ok {
		return false
	}
	if rerr := h.RefreshCredentials(ctx, linkID); rerr != nil {
		h.log.Warn("token refused and refresh failed", "link", linkID, "error", rerr)
		return false
	}
	return true
}

// KeepCredentialsFresh refreshes, every interval until ctx ends, the
// stored credentials of open links that expire within ahead. Run it beside
// Run: go h.KeepCredentialsFresh(ctx, time.Minute, 10*time.Minute).
func (h *Host) KeepCredentialsFresh(ctx context.Context, interval, ahead time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		h.refreshExpiring(ctx, ahead)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Host) refreshExpiring(ctx context.Context, ahead time.Duration) {
	for _, l := range h.openLinks() {
		exp, ok, err := h.StoredCredentials(ctx, l.ID())
		if err != nil || !ok || exp.IsZero() || time.Until(exp) > ahead {
			continue
		}
		if err := h.RefreshCredentials(ctx, l.ID()); err != nil && ctx.Err() == nil {
			h.log.Error("access token not refreshed; the link stops working when it expires", "link", l.ID(), "expires", exp, "error", err)
		}
	}
}
