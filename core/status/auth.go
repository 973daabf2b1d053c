package status

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cookieName holds the operator's session: "<expiry unix>.<hex HMAC>".
const cookieName = "shopbridge_operator"

// sessionTTL is how long a login lasts.
const sessionTTL = 12 * time.Hour

// access is who is asking.
type access int

const (
	// readOnly: no credentials, or no operator token configured.
	readOnly access = iota
	// operator: the right bearer token or a valid session cookie.
	operator
	// refused: a bearer token was given and it is wrong.
	refused
)

// auth checks requests against the operator token.
type auth struct {
	token []byte // empty: no operator token configured
	now   func() time.Time
}

func (a auth) configured() bool { return len(a.token) > 0 }

// check says who r comes from and the session id its CSRF token is bound to.
func (a auth) check(r *http.Request) (access, string) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !a.configured() || !strings.EqualFold(scheme, "Bearer") || !a.tokenMatches(strings.TrimSpace(tok)) {
			return refused, ""
		}
		return operator, "bearer"
	}
	if !a.configured() {
		return readOnly, ""
	}
	if c, err := r.Cookie(cookieName); err == nil && a.sessionValid(c.Value) {
		return operator, c.Value
	}
	return readOnly, ""
}

// tokenMatches compares in constant time; hashing first keeps the length of
// the token from showing in the timing too.
func (a auth) tokenMatches(got string) bool {
	if !a.configured() {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256(a.token)
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func (a auth) mac(parts ...string) string {
	m := hmac.New(sha256.New, a.token)
	m.Write([]byte("shopbridge status v1"))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// newSession returns a cookie value that proves knowledge of the token
// until it expires, without containing it: changing the token ends every
// session.
func (a auth) newSession() (string, time.Time) {
	exp := a.now().Add(sessionTTL).Truncate(time.Second)
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + a.mac("session", e), exp
}

func (a auth) sessionValid(v string) bool {
	e, sig, ok := strings.Cut(v, ".")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || a.now().Unix() >= exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(a.mac("session", e)))
}

// csrf is the token the page's forms carry, bound to the session so that a
// token seen in one session is useless in another.
func (a auth) csrf(session string) string { return a.mac("csrf", session) }

func (a auth) csrfValid(session, got string) bool {
	return session != "" && hmac.Equal([]byte(got), []byte(a.csrf(session)))
}

func setSession(w http.ResponseWriter, r *http.Request, value string, exp time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/", Expires: exp, MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}
