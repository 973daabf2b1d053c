package state

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// SecretKeyEnv names the environment variable holding the key that encrypts
// secrets at rest: 32 random bytes, hex or base64 encoded
// (`openssl rand -hex 32`).
const SecretKeyEnv = "SHOPBRIDGE_STATE_KEY"

func secretKey(override []byte) ([]byte, error) {
	if override != nil {
		if len(override) != 32 {
			return nil, fmt.Errorf("state: the secret key must be 32 bytes, got %d", len(override))
		}
		return override, nil
	}
	v := strings.TrimSpace(os.Getenv(SecretKeyEnv))
	if v == "" {
		return nil, fmt.Errorf("state: %s is not set: generate one with `openssl rand -hex 32` and keep it beside the database's back-ups", SecretKeyEnv)
	}
	if k, err := hex.DecodeString(v); err == nil && len(k) == 32 {
		return k, nil
	}
	if k, err := base64.StdEncoding.DecodeString(v); err == nil && len(k) == 32 {
		return k, nil
	}
	return nil, fmt.Errorf("state: %s must be 32 bytes in hex (64 characters) or base64: generate one with `openssl rand -hex 32`", SecretKeyEnv)
}

func (tx *Tx) aead() (cipher.AEAD, error) {
	if tx.db.keyErr != nil {
		return nil, tx.db.keyErr
	}
	block, err := aes.NewCipher(tx.db.key)
	if err != nil {
		return nil, fmt.Errorf("state: secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

// additionalData binds a ciphertext to its row, so a ciphertext copied to
// another link or name does not decrypt.
func additionalData(link, name string) []byte { return []byte(link + "\x00" + name) }

// Secret is a decrypted secret (an OAuth token and when it expires).
type Secret struct {
	Value string
	// ExpiresAt is zero for a secret that does not expire.
	ExpiresAt time.Time
}

// PutSecret encrypts value with AES-256-GCM and stores it; only ciphertext and
// nonce reach the database.
func (tx *Tx) PutSecret(link, name, value string, expiresAt time.Time) error {
	aead, err := tx.aead()
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("state: make nonce: %w", err)
	}
	ct := aead.Seal(nil, nonce, []byte(value), additionalData(link, name))
	var exp *time.Time
	if !expiresAt.IsZero() {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		exp = &e
	}
	_, err = tx.q.exec(tx.ctx, `INSERT INTO secrets (link, name, ciphertext, nonce, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (link, name) DO UPDATE SET ciphertext = excluded.ciphertext, nonce = excluded.nonce,
			expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
		link, name, ct, nonce, exp, now())
	if err != nil {
		return fmt.Errorf("state: store secret %q of link %s: %w", name, link, err)
	}
	return nil
}

// GetSecret decrypts a stored secret.
func (tx *Tx) GetSecret(link, name string) (Secret, bool, error) {
	var ct, nonce []byte
	var exp time.Time
	err := queryRowScan(tx, "SELECT ciphertext, nonce, expires_at FROM secrets WHERE link = ? AND name = ?", []any{link, name},
		func(r interface{ Scan(...any) error }) error { return r.Scan(&ct, &nonce, ts(&exp)) })
	if errors.Is(err, errNoRows) {
		return Secret{}, false, nil
	}
	if err != nil {
		return Secret{}, false, fmt.Errorf("state: read secret %q of link %s: %w", name, link, err)
	}
	aead, err := tx.aead()
	if err != nil {
		return Secret{}, false, err
	}
	if len(nonce) != aead.NonceSize() {
		return Secret{}, false, fmt.Errorf("state: secret %q of link %s is damaged (bad nonce)", name, link)
	}
	pt, err := aead.Open(nil, nonce, ct, additionalData(link, name))
	if err != nil {
		return Secret{}, false, fmt.Errorf("state: cannot decrypt secret %q of link %s: was %s changed since it was stored?", name, link, SecretKeyEnv)
	}
	return Secret{Value: string(pt), ExpiresAt: exp}, true, nil
}

// DeleteSecret removes a stored secret.
func (tx *Tx) DeleteSecret(link, name string) error {
	if _, err := tx.q.exec(tx.ctx, "DELETE FROM secrets WHERE link = ? AND name = ?", link, name); err != nil {
		return fmt.Errorf("state: delete secret %q of link %s: %w", name, link, err)
	}
	return nil
}
