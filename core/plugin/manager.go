package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/sdk"
)

// Options configure a Manager.
type Options struct {
	Dir    string       // the plugins directory
	Lock   string       // the lock file
	Logger hclog.Logger // connector logs appear under Named(<connector name>)
	// StartTimeout bounds how long a connector may take to start; default 30s.
	StartTimeout time.Duration
	// RestartMin and RestartMax bound the back-off between restarts of a
	// crashed process; defaults 500ms and 1m. The back-off doubles with each
	// failed start and returns to RestartMin once a process has run for
	// HealthyAfter (default 1m).
	RestartMin, RestartMax, HealthyAfter time.Duration
	// ObserveCall, when set, is told of every call a Link makes to its
	// connector (method is the protocol call, e.g. "WriteStock"), with the
	// error it ended with and how long it took, for the metrics. It is
	// called on the caller's goroutine, so it must be quick.
	ObserveCall func(connector, version, method string, err error, d time.Duration)
}

// Manager runs connector processes and the links on them. It is safe for
// concurrent use.
type Manager struct {
	opts Options
	log  hclog.Logger

	mu     sync.Mutex
	procs  map[string]*process // by name@version
	links  map[string]*Link    // by link id
	closed bool
}

// NewManager returns a manager for the plugins directory and lock file in
// opts. It starts nothing until a link is opened.
func NewManager(opts Options) (*Manager, error) {
	if opts.Dir == "" || opts.Lock == "" {
		return nil, errors.New("plugin manager needs the plugins directory and the lock file (plugins.dir, plugins.lock)")
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 30 * time.Second
	}
	if opts.RestartMin <= 0 {
		opts.RestartMin = 500 * time.Millisecond
	}
	if opts.RestartMax <= 0 {
		opts.RestartMax = time.Minute
	}
	if opts.HealthyAfter <= 0 {
		opts.HealthyAfter = time.Minute
	}
	if _, err := ReadLock(opts.Lock); err != nil {
		return nil, err
	}
	return &Manager{opts: opts, log: opts.Logger, procs: map[string]*process{}, links: map[string]*Link{}}, nil
}

// OpenOption changes how a link is opened.
type OpenOption func(*Link)

// WithCredentials supplies the credentials an authorization granted. The
// function is called at every (re-)open so a refreshed token is used after
// a restart.
func WithCredentials(get func() *sdk.Credentials) OpenOption {
	return func(l *Link) { l.creds = get }
}

// Open opens the link on the connector version its constraint selects,
// starting that version's process if no other link uses it yet. A link id
// can be open once at a time.
func (m *Manager) Open(ctx context.Context, lc *config.Link, opts ...OpenOption) (*Link, error) {
	settings, err := lc.SettingsJSON()
	if err != nil {
		return nil, fmt.Errorf("link %s: encoding its settings: %w", lc.ID, err)
	}
	l := &Link{m: m, id: lc.ID, name: lc.ConnectorName, constraint: lc.ConnectorConstraint, settings: settings}
	for _, o := range opts {
		o(l)
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("plugin manager is closed")
	}
	if _, dup := m.links[l.id]; dup {
		m.mu.Unlock()
		return nil, fmt.Errorf("link %s is already open: close it first", l.id)
	}
	m.links[l.id] = l // reserved while opening
	m.mu.Unlock()

	p, remote, err := m.openOn(ctx, l, l.constraint)
	if err != nil {
		m.mu.Lock()
		delete(m.links, l.id)
		m.mu.Unlock()
		return nil, err
	}
	l.mu.Lock()
	l.proc, l.remote, l.gen = p, remote, p.generation()
	l.mu.Unlock()
	return l, nil
}

// openOn resolves constraint for l's connector, gets that version's process
// running and opens l on it, registering l with the process.
func (m *Manager) openOn(ctx context.Context, l *Link, constraint string) (*process, *sdk.RemoteLink, error) {
	lock, err := ReadLock(m.opts.Lock)
	if err != nil {
		return nil, nil, err
	}
	bin, entry, err := Resolve(m.opts.Dir, lock, l.name, constraint)
	if err != nil {
		return nil, nil, fmt.Errorf("link %s: %w", l.id, err)
	}
	p, err := m.process(ctx, bin, entry, l)
	if err != nil {
		return nil, nil, fmt.Errorf("link %s: %w", l.id, err)
	}
	remote, err := p.openLink(ctx, l)
	if err != nil {
		p.release(l.id)
		return nil, nil, fmt.Errorf("link %s: opening it on connector %s %s: %w", l.id, entry.Name, entry.Version, err)
	}
	return p, remote, nil
}

// process returns the running process of a connector version, starting it
// if needed, with l counted among its links.
func (m *Manager) process(ctx context.Context, bin Binary, e Entry, l *Link) (*process, error) {
	key := e.Name + "@" + e.Version
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errors.New("plugin manager is closed")
	}
	p := m.procs[key]
	if p == nil {
		p = newProcess(m, bin.Path, e)
		m.procs[key] = p
	}
	p.links[l.id] = l
	m.mu.Unlock()
	if err := p.ensureStarted(ctx); err != nil {
		p.release(l.id)
		return nil, err
	}
	return p, nil
}

// Link returns the open link with the given id, or nil.
func (m *Manager) Link(id string) *Link {
	m.mu.Lock()
	l := m.links[id]
	m.mu.Unlock()
	if l == nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.proc == nil {
		return nil // still opening
	}
	return l
}

// Swap moves an open link to the connector version newConstraint selects:
// the link is opened on the new version first, then closed on the old one,
// whose process stops when no link uses it any more. Calls made through the
// *Link during the swap go to the old version until the new one is open.
func (m *Manager) Swap(ctx context.Context, linkID, newConstraint string) error {
	m.mu.Lock()
	l := m.links[linkID]
	m.mu.Unlock()
	if l == nil {
		return fmt.Errorf("link %s is not open", linkID)
	}
	l.mu.RLock()
	old := l.proc
	l.mu.RUnlock()
	lock, err := ReadLock(m.opts.Lock)
	if err != nil {
		return err
	}
	_, entry, err := Resolve(m.opts.Dir, lock, l.name, newConstraint)
	if err != nil {
		return fmt.Errorf("link %s: %w", linkID, err)
	}
	if old != nil && old.entry.Version == entry.Version {
		l.mu.Lock()
		l.constraint = newConstraint
		l.mu.Unlock()
		return nil
	}
	// Open on the new version under a temporary registration so that the
	// old process keeps serving the link meanwhile.
	p, remote, err := m.openOn(ctx, l, newConstraint)
	if err != nil {
		return err
	}
	l.mu.Lock()
	oldRemote := l.remote
	l.proc, l.remote, l.gen, l.openErr, l.constraint = p, remote, p.generation(), nil, newConstraint
	l.mu.Unlock()
	if old != nil {
		if oldRemote != nil {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_ = oldRemote.Close(cctx)
			cancel()
		}
		old.release(linkID)
	}
	m.log.Info("link moved to another connector version", "link", linkID, "connector", entry.Name, "version", entry.Version)
	return nil
}

// ProcessInfo describes one connector process, for the status page.
type ProcessInfo struct {
	Name      string
	Version   string
	File      string
	PID       int // 0 while not running
	Running   bool
	Restarts  int
	Links     []string
	LastError string // why the last start or run failed, if it did
}

// Processes lists the connector processes, sorted by name and version.
func (m *Manager) Processes() []ProcessInfo {
	m.mu.Lock()
	procs := make([]*process, 0, len(m.procs))
	for _, p := range m.procs {
		procs = append(procs, p)
	}
	m.mu.Unlock()
	out := make([]ProcessInfo, 0, len(procs))
	for _, p := range procs {
		out = append(out, p.info())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// Close closes every link and stops every connector process. It waits for
// the processes to exit; a process that does not exit on request within a
// few seconds is killed.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	procs := make([]*process, 0, len(m.procs))
	for _, p := range m.procs {
		procs = append(procs, p)
	}
	m.procs = map[string]*process{}
	links := m.links
	m.links = map[string]*Link{}
	m.mu.Unlock()
	for _, l := range links {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
	return nil
}

// openArgs is what a (re-)open sends.
func (l *Link) openArgs() (json.RawMessage, *sdk.Credentials) {
	var c *sdk.Credentials
	if l.creds != nil {
		c = l.creds()
	}
	return l.settings, c
}
