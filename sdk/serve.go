package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the connector protocol this package speaks. A host
// that only knows other versions refuses the connector, naming both.
const ProtocolVersion = 1

// PluginName is the name under which the connector is dispensed.
const PluginName = "connector"

// Handshake is shared by host and connector. The cookie is not a secret:
// it only stops a connector binary run by hand from waiting for a host
// that will never come, and says so.
var Handshake = plugin.HandshakeConfig{
	MagicCookieKey:   "SHOPBRIDGE_CONNECTOR",
	MagicCookieValue: "d2a7a7a4-shopbridge-connector-protocol",
}

type serveConfig struct {
	logger        hclog.Logger
	stdout        io.Writer
	args          []string
	watchParent   time.Duration
	grpcServerOpt []grpc.ServerOption
	protocol      int
}

// ServeOption changes how Serve runs.
type ServeOption func(*serveConfig)

// WithLogger replaces the logger Serve hands to links. By default it
// writes JSON to stderr, which the host reads and re-logs under the
// connector's name.
func WithLogger(l hclog.Logger) ServeOption { return func(c *serveConfig) { c.logger = l } }

// WithArgs replaces os.Args[1:] (tests).
func WithArgs(args []string) ServeOption { return func(c *serveConfig) { c.args = args } }

// WithStdout replaces os.Stdout for the describe command (tests).
func WithStdout(w io.Writer) ServeOption { return func(c *serveConfig) { c.stdout = w } }

// WithParentWatch sets how often the connector checks that the host that
// started it is still alive; 0 turns the check off. The default is one
// second: a host killed with SIGKILL cannot stop its connectors, so they
// stop themselves rather than linger as orphans.
func WithParentWatch(every time.Duration) ServeOption {
	return func(c *serveConfig) { c.watchParent = every }
}

// WithProtocolVersion makes the connector advertise protocol version v
// instead of ProtocolVersion, in the handshake and in `describe`. It exists
// so that hosts can test how they refuse a connector built for a protocol
// they do not speak; a real connector never sets it.
func WithProtocolVersion(v int) ServeOption { return func(c *serveConfig) { c.protocol = v } }

// Serve runs the connector until the host goes away. It is the whole of a
// connector's main:
//
//	func main() { sdk.Serve(myconnector.New()) }
//
// Run by hand with the argument "describe", it prints the Describe answer
// as JSON and exits, so an operator can see what a binary is without a host.
func Serve(c Connector, opts ...ServeOption) {
	cfg := serveConfig{stdout: os.Stdout, args: os.Args[1:], watchParent: time.Second, protocol: ProtocolVersion}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.args) > 0 {
		os.Exit(runCommand(c, cfg))
	}
	d := c.Describe()
	if cfg.logger == nil {
		cfg.logger = hclog.New(&hclog.LoggerOptions{
			Name:       d.Name,
			Level:      hclog.Trace, // the host filters by its own level
			Output:     os.Stderr,
			JSONFormat: true,
		})
	}
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "%s is a shopbridge connector: the shopbridge host starts it. Install it with `shopbridge plugins install %s`, or run `%s describe` to see what it is.\n", os.Args[0], os.Args[0], os.Args[0])
		os.Exit(1)
	}
	if cfg.watchParent > 0 {
		go watchParent(cfg.watchParent, cfg.logger)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{cfg.protocol: {PluginName: &GRPCPlugin{Impl: c, Logger: cfg.logger}}},
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			o = append(o, transportServerOptions()...)
			return grpc.NewServer(append(o, cfg.grpcServerOpt...)...)
		},
		Logger: cfg.logger,
	})
}

func runCommand(c Connector, cfg serveConfig) int {
	switch cfg.args[0] {
	case "describe":
		enc := json.NewEncoder(cfg.stdout)
		enc.SetIndent("", "  ")
		out := DescribeJSON(c.Describe())
		out.Protocol = cfg.protocol
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(os.Stderr, "describe:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q: the only command is \"describe\"; the shopbridge host starts connectors itself\n", cfg.args[0])
		return 2
	}
}

// DescribeJSON is the shape `<connector> describe` prints and `shopbridge
// plugins list` reads.
type DescribeOutput struct {
	Name           string          `json:"name"`
	Version        string          `json:"version"`
	Protocol       int             `json:"protocol_version"`
	ProtocolMinor  uint32          `json:"protocol_minor"`
	DisplayName    string          `json:"display_name,omitempty"`
	Summary        string          `json:"summary,omitempty"`
	Capabilities   []Capability    `json:"capabilities"`
	SettingsSchema json.RawMessage `json:"settings_schema,omitempty"`
	SecretSettings []string        `json:"secret_settings,omitempty"`
	WebhookTopics  []string        `json:"webhook_topics,omitempty"`
}

// DescribeJSON renders a Description for printing.
func DescribeJSON(d Description) DescribeOutput {
	return DescribeOutput{
		Name: d.Name, Version: d.Version, Protocol: ProtocolVersion, ProtocolMinor: d.ProtocolMinor,
		DisplayName: d.DisplayName, Summary: d.Summary, Capabilities: d.Capabilities,
		SettingsSchema: d.SettingsSchema, SecretSettings: d.SecretSettings, WebhookTopics: d.WebhookTopics,
	}
}

// watchParent exits the process when it is re-parented, which is what
// happens when the host dies without stopping us.
func watchParent(every time.Duration, log hclog.Logger) {
	parent := os.Getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != parent {
			log.Warn("host process is gone; connector exiting", "host_pid", parent)
			os.Exit(3)
		}
	}
}

// GRPCPlugin is the go-plugin glue for protocol version 1. The connector
// side sets Impl; the host side leaves it nil and dispenses a
// *RemoteConnector.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl   Connector
	Logger hclog.Logger
}

// GRPCServer registers the connector's gRPC service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	registerServer(s, p.Impl, p.Logger)
	return nil
}

// GRPCClient returns the host's handle on a connector process.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return newRemote(cc), nil
}

// transportWindow is the HTTP/2 flow-control window of the host–connector
// connection. The default (64 KiB, grown by BDP probes) makes a streaming
// read of product pages wait for window updates on a local socket.
const transportWindow = 4 << 20

func transportServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(transportWindow), grpc.InitialConnWindowSize(transportWindow),
		grpc.WriteBufferSize(256 << 10), grpc.ReadBufferSize(256 << 10),
	}
}

// TransportDialOptions are the host side of the connection's tuning; the
// plugin host passes them to go-plugin.
func TransportDialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(transportWindow), grpc.WithInitialConnWindowSize(transportWindow),
		grpc.WithWriteBufferSize(256 << 10), grpc.WithReadBufferSize(256 << 10),
	}
}
