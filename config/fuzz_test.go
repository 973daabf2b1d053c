package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateFlag = flag.Bool("update", false, "rewrite REFERENCE.md")

// FuzzParse feeds arbitrary YAML to Parse: it must never panic, must give
// either a config or *Errors, and no message may contain a secret value.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	ex, _ := filepath.Glob("examples/*.yaml")
	for _, p := range append(seeds, ex...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte("links: [{id: a, settings: {x: [{y: '${RACKBEAT_TOKEN}'}]}}]"))
	f.Add([]byte("&a [*a]"))
	const secret = "fuzz-secret-value"
	env := WithEnv(func(k string) (string, bool) {
		if strings.HasPrefix(k, EnvPrefix) {
			return "", false
		}
		return secret, true
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, env, WithBaseDir(t.TempDir()))
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(*errs) == 0 {
			t.Fatalf("error is not a non-empty *Errors: %v", err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks a secret: %v", err)
		}
	})
}
