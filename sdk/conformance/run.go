package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/shopbridge/shopbridge/sdk"
)

// knownCapabilities are the capabilities of protocol version 1.
var knownCapabilities = map[sdk.Capability]bool{
	sdk.CapProductsRead: true, sdk.CapProductsWrite: true, sdk.CapOrdersRead: true, sdk.CapStockRead: true,
	sdk.CapStockWrite: true, sdk.CapWebhooks: true, sdk.CapLocations: true, sdk.CapCategories: true,
	sdk.CapAuthorize: true, sdk.CapBulk: true, sdk.CapRateLimit: true,
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// kit is one run against one connector process.
type kit struct {
	opts     options
	binary   string
	settings json.RawMessage
	remote   *sdk.RemoteConnector
	desc     sdk.Description
	schema   *jsonschema.Schema
	mu       sync.Mutex
	seq      int
	runID    string
}

// Run checks the connector binary at binaryPath, opening links with
// settings (which must be valid for the channel the connector reaches).
// Failures are reported on t, each in a subtest named after what it checks.
func Run(t *testing.T, binaryPath string, settings json.RawMessage, opts ...Option) {
	t.Helper()
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	k := &kit{opts: o, binary: binaryPath, settings: settings, runID: randomID()}
	if !k.start(t) {
		return
	}
	if !t.Run("describe", k.checkDescribe) {
		return
	}
	t.Run("settings", k.checkSettings)
	if !t.Run("link", k.checkLink) {
		return
	}
	t.Run("many-links", k.checkManyLinks)
	checks := map[sdk.Capability]func(*testing.T){
		sdk.CapProductsRead:  k.checkProductsRead,
		sdk.CapProductsWrite: k.checkProductsWrite,
		sdk.CapOrdersRead:    k.checkOrdersRead,
		sdk.CapStockRead:     k.checkStockRead,
		sdk.CapStockWrite:    k.checkStockWrite,
		sdk.CapWebhooks:      k.checkWebhooks,
		sdk.CapLocations:     k.checkLocations,
		sdk.CapCategories:    k.checkCategories,
		sdk.CapAuthorize:     k.checkAuthorize,
	}
	for _, c := range k.desc.Capabilities {
		if check := checks[c]; check != nil {
			t.Run(string(c), check)
		}
	}
	// The host asks every link for its rate limit, declared or not.
	t.Run(string(sdk.CapRateLimit), k.checkRateLimit)
}

func randomID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testWriter sends log lines to the test log until the test ends, after
// which t.Log would panic.
type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// start runs the binary as the host would and dispenses the connector.
func (k *kit) start(t *testing.T) bool {
	t.Helper()
	logger := k.opts.logger
	if logger == nil {
		w := &testWriter{t: t}
		t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
		logger = hclog.New(&hclog.LoggerOptions{Name: "connector", Output: w, Level: hclog.Warn})
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginName: &sdk.GRPCPlugin{}}},
		Cmd:              exec.Command(k.binary),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           logger,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Errorf("starting %s as a protocol-%d connector: %v", k.binary, sdk.ProtocolVersion, err)
		return false
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		t.Errorf("dispensing the connector from %s: %v", k.binary, err)
		return false
	}
	k.remote = raw.(*sdk.RemoteConnector)
	return true
}

func (k *kit) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), k.opts.timeout)
	t.Cleanup(cancel)
	return ctx
}

func (k *kit) checkDescribe(t *testing.T) {
	ctx := k.ctx(t)
	d, err := k.remote.Describe(ctx)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	k.desc = d
	if !nameRE.MatchString(d.Name) {
		t.Errorf("name %q: must be lower-case letters, digits and dashes (the binary is shopbridge-connector-<name>)", d.Name)
	}
	if _, err := semver.StrictNewVersion(d.Version); err != nil {
		t.Errorf("version %q is not semver (MAJOR.MINOR.PATCH): %v", d.Version, err)
	}
	if len(d.Capabilities) == 0 {
		t.Errorf("no capabilities declared")
	}
	seen := map[sdk.Capability]bool{}
	for _, c := range d.Capabilities {
		if !knownCapabilities[c] {
			t.Errorf("capability %q is not part of protocol %d", c, sdk.ProtocolVersion)
		}
		if seen[c] {
			t.Errorf("capability %q declared twice", c)
		}
		seen[c] = true
	}
	if base := filepath.Base(k.binary); strings.HasPrefix(base, "shopbridge-connector-") {
		rest := strings.TrimPrefix(base, "shopbridge-connector-")
		name, version, versioned := strings.Cut(rest, "_v")
		if name != d.Name || versioned && version != d.Version {
			t.Errorf("binary %s describes itself as %s %s", base, d.Name, d.Version)
		}
	}
	k.checkSchema(t)
	k.checkDescribeCommand(t)
}

func (k *kit) checkSchema(t *testing.T) {
	d := k.desc
	if len(d.SettingsSchema) == 0 {
		t.Errorf("no settings schema: Description.SettingsSchema must be the JSON Schema of the link settings")
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(d.SettingsSchema))
	if err != nil {
		t.Errorf("settings schema is not JSON: %v", err)
		return
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("settings.schema.json", doc); err != nil {
		t.Errorf("settings schema: %v", err)
		return
	}
	sch, err := c.Compile("settings.schema.json")
	if err != nil {
		t.Errorf("settings schema is not valid JSON Schema: %v", err)
		return
	}
	k.schema = sch
	if m, ok := doc.(map[string]any); !ok || m["type"] != "object" {
		t.Errorf(`settings schema must describe an object ("type": "object")`)
	}
	props := schemaProperties(doc)
	for _, s := range d.SecretSettings {
		if _, ok := props[s]; !ok {
			t.Errorf("secret setting %q is not a property of the settings schema", s)
		}
	}
	if err := k.validate(k.settings); err != nil {
		t.Errorf("the settings given to conformance.Run do not validate against the connector's schema: %v", err)
	}
}

func (k *kit) validate(settings json.RawMessage) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(settings))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return k.schema.Validate(inst)
}

func schemaProperties(doc any) map[string]any {
	m, _ := doc.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	return props
}

func (k *kit) checkDescribeCommand(t *testing.T) {
	ctx := k.ctx(t)
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, k.binary, "describe")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Errorf("%s describe: %v %s", k.binary, err, errOut.String())
		return
	}
	var got sdk.DescribeOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Errorf("%s describe did not print JSON: %v", k.binary, err)
		return
	}
	if got.Name != k.desc.Name || got.Version != k.desc.Version || got.Protocol != sdk.ProtocolVersion {
		t.Errorf("describe command says %s %s protocol %d; Describe says %s %s protocol %d", got.Name, got.Version, got.Protocol, k.desc.Name, k.desc.Version, sdk.ProtocolVersion)
	}
	if fmt.Sprint(got.Capabilities) != fmt.Sprint(k.desc.Capabilities) {
		t.Errorf("describe command lists capabilities %v; Describe lists %v", got.Capabilities, k.desc.Capabilities)
	}
}

// linkID returns a fresh link id for this run.
func (k *kit) linkID(what string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seq++
	return fmt.Sprintf("conformance-%s-%s-%d", k.runID, what, k.seq)
}

// open opens a link with the run's settings and closes it when t ends.
func (k *kit) open(t *testing.T, what string) *sdk.RemoteLink {
	t.Helper()
	ctx := k.ctx(t)
	l, err := k.remote.OpenLink(ctx, k.linkID(what), k.settings, nil)
	if err != nil {
		t.Fatalf("OpenLink with the given settings: %v", err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	return l
}

// badSettings derives settings that break the schema: each required key
// dropped, each typed key of the wrong type. Each comes with the key the
// connector's error must name.
func (k *kit) badSettings() (cases []struct {
	name, key string
	settings  json.RawMessage
}) {
	var doc map[string]any
	_ = json.Unmarshal(k.desc.SettingsSchema, &doc)
	var base map[string]any
	_ = json.Unmarshal(k.settings, &base)
	add := func(name, key string, m map[string]any) {
		b, _ := json.Marshal(m)
		if k.validate(b) == nil {
			return // the schema allows it after all (e.g. a union type)
		}
		cases = append(cases, struct {
			name, key string
			settings  json.RawMessage
		}{name, key, b})
	}
	clone := func() map[string]any {
		m := make(map[string]any, len(base))
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	req, _ := doc["required"].([]any)
	for _, r := range req {
		key, _ := r.(string)
		if key == "" {
			continue
		}
		m := clone()
		delete(m, key)
		add("without "+key, key, m)
	}
	wrong := map[string]any{"string": 12345, "integer": "not a number", "number": "not a number", "boolean": "not a boolean", "object": "not an object", "array": "not an array"}
	props, _ := doc["properties"].(map[string]any)
	for key, p := range props {
		pm, _ := p.(map[string]any)
		typ, _ := pm["type"].(string)
		v, ok := wrong[typ]
		if !ok {
			continue
		}
		m := clone()
		m[key] = v
		add(key+" of the wrong type", key, m)
	}
	return cases
}

func (k *kit) checkSettings(t *testing.T) {
	if k.schema == nil {
		t.Skip("no usable settings schema (see the describe check)")
	}
	cases := k.badSettings()
	if len(cases) == 0 {
		t.Skip("the schema has no required or typed keys to break")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := k.ctx(t)
			l, err := k.remote.OpenLink(ctx, k.linkID("bad"), c.settings, nil)
			if err == nil {
				_ = l.Close(ctx)
				t.Fatalf("OpenLink accepted settings that break the schema (%s)", c.name)
			}
			if cls := sdk.ClassOf(err); cls != sdk.ClassInvalid {
				t.Errorf("OpenLink refused %s with class %q, want %q: %v", c.name, cls, sdk.ClassInvalid, err)
			}
			var e *sdk.Error
			named := strings.Contains(err.Error(), c.key)
			if asErr(err, &e) && (e.Field == c.key || strings.HasPrefix(e.Field, c.key+".")) {
				named = true
			}
			if !named {
				t.Errorf("OpenLink refused %s without naming the key %q: %v", c.name, c.key, err)
			}
		})
	}
}

func (k *kit) checkLink(t *testing.T) {
	ctx := k.ctx(t)
	id := k.linkID("link")
	l, err := k.remote.OpenLink(ctx, id, k.settings, nil)
	if err != nil {
		t.Fatalf("OpenLink with the given settings: %v", err)
	}
	if l.Account() == "" {
		t.Errorf("OpenLink reported no account name; Link.Account should say which channel account it reaches")
	}
	rep, err := l.Check(ctx)
	if err != nil {
		t.Errorf("Check: %v", err)
	}
	for _, it := range rep.Items {
		if it.Name == "" {
			t.Errorf("Check reported an item without a name: %+v", it)
		}
		if !it.OK && it.Hint == "" {
			t.Errorf("Check item %q failed without a hint saying what to do", it.Name)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Errorf("CloseLink: %v", err)
	}
	if _, err := l.Check(ctx); err == nil {
		t.Errorf("Check on a closed link succeeded; the connector must forget closed links")
	} else if sdk.ClassOf(err) != sdk.ClassNotFound {
		t.Errorf("Check on a closed link failed with class %q, want %q: %v", sdk.ClassOf(err), sdk.ClassNotFound, err)
	}
}

func (k *kit) checkManyLinks(t *testing.T) {
	ctx := k.ctx(t)
	n := k.opts.links
	links := make([]*sdk.RemoteLink, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := k.remote.OpenLink(ctx, k.linkID("many"), k.settings, nil)
			if err != nil {
				errs[i] = fmt.Errorf("open link: %w", err)
				return
			}
			links[i] = l
			if _, err := l.Check(ctx); err != nil {
				errs[i] = fmt.Errorf("check: %w", err)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("link %d of %d open at once: %v", i+1, n, err)
		}
	}
	for _, l := range links {
		if l != nil {
			if err := l.Close(ctx); err != nil {
				t.Errorf("CloseLink %s: %v", l.ID(), err)
			}
		}
	}
}
