package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// redacted is what a Secret shows instead of its value.
const redacted = "[redacted]"

// Secret is a resolved secret together with the reference it came from. Every
// way of printing or marshalling it shows "[redacted]" (or "" when unset), so
// a Config can be logged or dumped without leaking credentials.
type Secret struct {
	ref   string
	value string
}

// Value returns the plaintext; hand it only to the client that needs it.
func (s Secret) Value() string { return s.value }

// Ref returns the reference the value was read from, e.g. "${SHOPIFY_TOKEN}"
// or "file:/run/secrets/token". It is safe to show.
func (s Secret) Ref() string { return s.ref }

// IsZero reports whether the secret was not configured.
func (s Secret) IsZero() bool { return s.ref == "" }

func (s Secret) shown() string {
	if s.IsZero() {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer without revealing the value.
func (s Secret) String() string { return s.shown() }

// GoString implements fmt.GoStringer without revealing the value.
func (s Secret) GoString() string { return s.shown() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, %x…) print the redaction.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.shown())) }

// MarshalJSON writes the redaction as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.shown() + `"`), nil }

// MarshalText keeps text encoders (and maps keyed by secrets) from leaking.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

// MarshalYAML keeps YAML encoders from leaking.
func (s Secret) MarshalYAML() (any, error) { return s.shown(), nil }

// LogValue keeps slog from leaking.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// isRef reports whether s is written as a secret reference.
func isRef(s string) bool {
	return strings.HasPrefix(s, "${") || strings.HasPrefix(s, "file:")
}

// resolveRef reads the secret a reference points to. Its error messages name
// the variable or file, never a value.
func (d *decoder) resolveRef(ref string) (Secret, string) {
	switch {
	case strings.HasPrefix(ref, "${"):
		if !strings.HasSuffix(ref, "}") || !envNameRE.MatchString(ref[2:len(ref)-1]) {
			return Secret{}, fmt.Sprintf("malformed reference %q: write ${NAME} with NAME an environment variable name (letters, digits, _), the whole value", ref)
		}
		name := ref[2 : len(ref)-1]
		v, ok := d.opts.lookup(name)
		if !ok {
			return Secret{}, fmt.Sprintf("environment variable %s is not set (referenced as %s)", name, ref)
		}
		if v == "" {
			return Secret{}, fmt.Sprintf("environment variable %s is empty (referenced as %s)", name, ref)
		}
		return Secret{ref: ref, value: v}, ""
	case strings.HasPrefix(ref, "file:"):
		p := strings.TrimPrefix(ref, "file:")
		if p == "" {
			return Secret{}, `malformed reference "file:": write file:/path/to/secret`
		}
		full := d.resolvePath(p)
		b, err := readSecretFile(full)
		if err != nil {
			return Secret{}, fmt.Sprintf("cannot read secret file %s (referenced as %s): %s", full, ref, describeFileErr(err))
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return Secret{}, fmt.Sprintf("secret file %s is empty (referenced as %s)", full, ref)
		}
		return Secret{ref: ref, value: v}, ""
	}
	return Secret{}, "not a reference"
}

// maxSecretFile bounds what a file: reference may hold; secrets are short,
// and a reference to a device or a huge file must not hang the loader.
const maxSecretFile = 64 << 10

func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() > maxSecretFile {
		return nil, fmt.Errorf("larger than %d bytes; a secret file holds just the secret", maxSecretFile)
	}
	return io.ReadAll(io.LimitReader(f, maxSecretFile))
}

// describeFileErr says why a file could not be read without repeating the
// path twice (os errors already carry it).
func describeFileErr(err error) string {
	switch {
	case os.IsNotExist(err):
		return "no such file"
	case os.IsPermission(err):
		return "permission denied"
	}
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// resolvePath makes a relative path relative to the base directory.
func (d *decoder) resolvePath(p string) string {
	if filepath.IsAbs(p) || d.opts.baseDir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(d.opts.baseDir, p)
}

// suggestEnvName proposes a variable name for a literal secret found at path,
// e.g. "rackbeat.token" → "RACKBEAT_TOKEN", "links[0].settings.access_token"
// with link id "webshop" → "WEBSHOP_ACCESS_TOKEN".
func suggestEnvName(path, linkID string) string {
	p := path
	if linkID != "" {
		if i := strings.Index(p, ".settings."); i >= 0 {
			p = linkID + "_" + p[i+len(".settings."):]
		}
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(p) {
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}
