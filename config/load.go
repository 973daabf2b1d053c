package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	koanfyaml "github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/v2"
)

// Option changes how a configuration is loaded.
type Option func(*options)

type options struct {
	lookup func(string) (string, bool)
	// environ lists the whole environment when it is known (the default),
	// so overrides of keys the file does not mention can be found; with a
	// custom lookup only the keys the schema and the file name are tried.
	environ     func() []string
	baseDir     string
	baseDirSet  bool
	ruleChecker func(path, expr string) error
}

// WithEnv sets how environment variables are read, both for SHOPBRIDGE_*
// overrides and for ${NAME} secret references. The default is os.LookupEnv.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(o *options) {
		o.lookup = lookup
		o.environ = nil
	}
}

// WithBaseDir sets the directory relative paths (state.path, plugins.dir,
// plugins.lock, file: references) resolve against. Load defaults to the
// config file's directory; Parse leaves relative paths relative to the
// working directory.
func WithBaseDir(dir string) Option {
	return func(o *options) {
		o.baseDir = dir
		o.baseDirSet = true
	}
}

// WithRuleChecker type-checks each products rule (a CEL expression) as the
// configuration loads; core/mapping provides the checker. Its error becomes
// a FieldError at the rule's key path, so it should say where in the
// expression the problem is.
func WithRuleChecker(check func(path, expr string) error) Option {
	return func(o *options) { o.ruleChecker = check }
}

// Load reads and validates the YAML file at path with its environment
// overrides. An invalid configuration gives a *Errors listing every problem;
// a file that cannot be read gives an ordinary error.
func Load(path string, opts ...Option) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: cannot read %s: %w", path, err)
	}
	o := newOptions(opts)
	if !o.baseDirSet {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("config: resolve %s: %w", path, err)
		}
		o.baseDir = filepath.Dir(abs)
	}
	return parse(b, o)
}

// Parse validates a configuration given as YAML bytes, like Load.
func Parse(yaml []byte, opts ...Option) (*Config, error) {
	return parse(yaml, newOptions(opts))
}

func newOptions(opts []Option) *options {
	o := &options{lookup: os.LookupEnv, environ: os.Environ}
	for _, opt := range opts {
		opt(o)
	}
	if o.lookup == nil {
		o.lookup = func(string) (string, bool) { return "", false }
	}
	return o
}

// bytesProvider hands koanf the YAML we already read.
type bytesProvider []byte

func (b bytesProvider) ReadBytes() ([]byte, error) { return b, nil }
func (b bytesProvider) Read() (map[string]any, error) {
	return nil, errors.New("config: bytesProvider needs a parser")
}

// keyDelim separates levels inside koanf. It is a control character so that
// keys containing dots (category names, rule targets) stay whole.
const keyDelim = "\x1f"

func parse(b []byte, o *options) (*Config, error) {
	d := &decoder{opts: o, envPaths: map[string]string{}}
	k := koanf.New(keyDelim)
	if err := k.Load(bytesProvider(b), koanfyaml.Parser()); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if strings.Contains(msg, "cannot unmarshal") {
			msg = "the file must be a YAML mapping of keys (state, server, plugins, rackbeat, log, links): " + msg
		}
		return nil, &Errors{{Msg: "invalid YAML: " + msg}}
	}
	tree, _ := normalize(k.Raw()).(map[string]any)
	if tree == nil {
		tree = map[string]any{}
	}
	d.applyEnv(tree)

	cfg := &Config{}
	d.decodeStruct("", tree, reflect.ValueOf(cfg).Elem())
	d.validate(cfg)
	if len(d.errs) > 0 {
		errs := d.errs
		return nil, &errs
	}
	return cfg, nil
}

// normalize turns map[any]any (YAML mappings with non-string keys, such as
// category numbers) into map[string]any at every depth.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}
