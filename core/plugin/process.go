package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/shopbridge/shopbridge/sdk"
)

// process is one connector version's process, across restarts. Which links
// use it (links) is guarded by the manager's mutex; its running state by
// its own.
type process struct {
	m       *Manager
	path    string
	entry   Entry
	log     hclog.Logger // the manager's log, about the process
	connLog hclog.Logger // the connector's own lines
	stopCh  chan struct{}

	links map[string]*Link // guarded by m.mu

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced at every state change
	started   bool          // a first start was attempted
	firstErr  error         // why the first start failed
	running   bool
	stopping  bool
	client    *goplugin.Client
	remote    *sdk.RemoteConnector
	desc      sdk.Description
	gen       int // counts successful starts
	deadGen   int // the last generation seen to exit
	pid       int
	startedAt time.Time
	restarts  int
	backoff   time.Duration
	nextTry   time.Time
	lastErr   string
}

func newProcess(m *Manager, path string, e Entry) *process {
	return &process{
		m: m, path: path, entry: e,
		log:     m.log.With("connector", e.Name, "version", e.Version),
		connLog: m.log.Named(e.Name).With("version", e.Version),
		stopCh:  make(chan struct{}),
		links:   map[string]*Link{},
		changed: make(chan struct{}),
		backoff: m.opts.RestartMin,
	}
}

func (p *process) key() string { return p.entry.Name + "@" + p.entry.Version }

// broadcast wakes everyone waiting for a state change; the caller holds mu.
func (p *process) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *process) generation() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen
}

// ensureStarted returns once the process runs. The first caller starts it;
// later callers wait, while a restart is under way, for as long as ctx
// allows.
func (p *process) ensureStarted(ctx context.Context) error {
	p.mu.Lock()
	if !p.started {
		p.started = true
		p.mu.Unlock()
		err := p.launch()
		p.mu.Lock()
		if err != nil {
			p.firstErr = err
		} else {
			p.running = true
		}
		p.broadcast()
		p.mu.Unlock()
		if err == nil {
			p.log.Debug("connector process started", "pid", p.info().PID)
		}
		return err
	}
	for {
		switch {
		case p.running:
			p.mu.Unlock()
			return nil
		case p.firstErr != nil:
			err := p.firstErr
			p.mu.Unlock()
			return err
		case p.stopping:
			p.mu.Unlock()
			return sdk.Retryable(0, "connector %s %s is stopping", p.entry.Name, p.entry.Version)
		}
		ch, next := p.changed, p.nextTry
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return sdk.Retryable(time.Until(next), "connector %s %s is restarting: %v", p.entry.Name, p.entry.Version, ctx.Err())
		}
		p.mu.Lock()
	}
}

var incompatibleRE = regexp.MustCompile(`Plugin version: (\d+)`)

// launch verifies the binary and starts a new generation of the process.
func (p *process) launch() error {
	sum, err := hex.DecodeString(p.entry.SHA256)
	if err != nil || len(sum) != sha256.Size {
		return fmt.Errorf("the lock file's sha256 for %s is malformed: run \"shopbridge plugins install %s\" again", p.path, p.path)
	}
	if err := verify(p.path, &p.entry); err != nil {
		return err
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{sdk.ProtocolVersion: {sdk.PluginName: &sdk.GRPCPlugin{}}},
		Cmd:              exec.Command(p.path),
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  sdk.TransportDialOptions(),
		StartTimeout:     p.m.opts.StartTimeout,
		Logger:           pluginLogger{Logger: p.log, connector: p.connLog},
	})
	fail := func(err error) error {
		client.Kill()
		return p.explain(err)
	}
	rpc, err := client.Client()
	if err != nil {
		return fail(err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		return fail(err)
	}
	remote, ok := raw.(*sdk.RemoteConnector)
	if !ok {
		return fail(fmt.Errorf("dispensed %T instead of a connector", raw))
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.m.opts.StartTimeout)
	desc, err := remote.Describe(ctx)
	cancel()
	if err != nil {
		return fail(fmt.Errorf("describe: %w", err))
	}
	if desc.Name != p.entry.Name || desc.Version != p.entry.Version {
		client.Kill()
		return fmt.Errorf("connector binary %s says it is %s %s but the lock file records it as %s %s: reinstall it with \"shopbridge plugins install\"", p.path, desc.Name, desc.Version, p.entry.Name, p.entry.Version)
	}
	pid, _ := strconv.Atoi(client.ID())
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.client, p.remote, p.desc, p.pid, p.startedAt = client, remote, desc, pid, time.Now()
	p.mu.Unlock()
	go p.supervise(client, gen)
	return nil
}

// explain turns go-plugin's start errors into one line an operator can act on.
func (p *process) explain(err error) error {
	what := fmt.Sprintf("connector %s %s (%s)", p.entry.Name, p.entry.Version, p.path)
	switch {
	case errors.Is(err, goplugin.ErrChecksumsDoNotMatch):
		actual, _ := FileSHA256(p.path)
		return &MismatchError{File: p.path, Expected: p.entry.SHA256, Actual: actual}
	case incompatibleRE.MatchString(err.Error()):
		theirs := incompatibleRE.FindStringSubmatch(err.Error())[1]
		return fmt.Errorf("%s speaks connector protocol %s but this host speaks protocol %d: install a version of the connector built for protocol %d", what, theirs, sdk.ProtocolVersion, sdk.ProtocolVersion)
	}
	return fmt.Errorf("starting %s: %w", what, err)
}

// supervise notices when a generation's process exits.
func (p *process) supervise(client *goplugin.Client, gen int) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopCh:
			return
		case <-t.C:
			if client.Exited() {
				p.crashed(gen)
				return
			}
		}
	}
}

func (p *process) nextBackoff() time.Duration {
	d := p.backoff
	p.backoff = min(2*p.backoff, p.m.opts.RestartMax)
	p.nextTry = time.Now().Add(d)
	return d
}

func (p *process) crashed(gen int) {
	p.mu.Lock()
	if p.stopping || p.gen != gen {
		p.mu.Unlock()
		return
	}
	p.deadGen = gen
	p.running = false
	p.restarts++
	if time.Since(p.startedAt) >= p.m.opts.HealthyAfter {
		p.backoff = p.m.opts.RestartMin
	}
	delay := p.nextBackoff()
	p.lastErr = "process exited unexpectedly"
	pid := p.pid
	p.broadcast()
	p.mu.Unlock()
	p.log.Warn("connector process exited unexpectedly; restarting it", "pid", pid, "restart_in", delay)
	go p.restart(delay)
}

// restart starts a new generation after delay, re-opens the links on it,
// and tries again with a longer delay until it works or the process is
// stopped.
func (p *process) restart(delay time.Duration) {
	for {
		select {
		case <-p.stopCh:
			return
		case <-time.After(delay):
		}
		err := p.launch()
		if err == nil {
			p.mu.Lock()
			gen, remote, pid := p.gen, p.remote, p.pid
			p.mu.Unlock()
			p.reopenLinks(remote, gen)
			p.mu.Lock()
			if p.stopping || p.deadGen == gen {
				// It died again while its links were re-opened; the
				// supervisor of that generation has taken over.
				p.mu.Unlock()
				return
			}
			p.running = true
			p.lastErr = ""
			restarts := p.restarts
			p.broadcast()
			p.mu.Unlock()
			p.log.Info("connector process restarted", "pid", pid, "restarts", restarts)
			return
		}
		p.mu.Lock()
		p.lastErr = err.Error()
		delay = p.nextBackoff()
		p.mu.Unlock()
		p.log.Error("connector process could not be restarted; trying again", "error", err, "retry_in", delay)
	}
}

// reopenLinks opens every link of the process on a new generation.
func (p *process) reopenLinks(remote *sdk.RemoteConnector, gen int) {
	p.m.mu.Lock()
	links := make([]*Link, 0, len(p.links))
	for _, l := range p.links {
		links = append(links, l)
	}
	p.m.mu.Unlock()
	for _, l := range links {
		settings, creds := l.openArgs()
		ctx, cancel := context.WithTimeout(context.Background(), p.m.opts.StartTimeout)
		r, err := remote.OpenLink(ctx, l.id, settings, creds)
		cancel()
		l.mu.Lock()
		if l.proc == p && !l.closed {
			l.remote, l.gen, l.openErr = r, gen, err
		}
		l.mu.Unlock()
		if err != nil {
			p.log.Error("link could not be opened again after the connector restarted", "link", l.id, "error", err)
		}
	}
}

// openLink opens l on the running process.
func (p *process) openLink(ctx context.Context, l *Link) (*sdk.RemoteLink, error) {
	p.mu.Lock()
	remote := p.remote
	p.mu.Unlock()
	settings, creds := l.openArgs()
	return remote.OpenLink(ctx, l.id, settings, creds)
}

// release drops a link from the process and stops the process when no link
// uses it any more.
func (p *process) release(linkID string) {
	m := p.m
	m.mu.Lock()
	delete(p.links, linkID)
	idle := len(p.links) == 0
	if idle && m.procs[p.key()] == p {
		delete(m.procs, p.key())
	}
	m.mu.Unlock()
	if idle {
		p.stop()
	}
}

// stop ends the process and its supervision, quietly.
func (p *process) stop() {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	p.running = false
	close(p.stopCh)
	client := p.client
	p.broadcast()
	p.mu.Unlock()
	if client != nil {
		client.Kill()
	}
	p.log.Debug("connector process stopped")
}

// status says whether generation gen is still the running one.
func (p *process) alive(gen int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running && p.gen == gen && p.client != nil && !p.client.Exited()
}

func (p *process) state() (running bool, gen int, retryIn time.Duration, lastErr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running, p.gen, max(time.Until(p.nextTry), 0), p.lastErr
}

func (p *process) info() ProcessInfo {
	p.m.mu.Lock()
	links := make([]string, 0, len(p.links))
	for id := range p.links {
		links = append(links, id)
	}
	p.m.mu.Unlock()
	sort.Strings(links)
	p.mu.Lock()
	defer p.mu.Unlock()
	pi := ProcessInfo{Name: p.entry.Name, Version: p.entry.Version, File: p.path, Running: p.running, Restarts: p.restarts, Links: links, LastError: p.lastErr}
	if p.running {
		pi.PID = p.pid
	}
	return pi
}
