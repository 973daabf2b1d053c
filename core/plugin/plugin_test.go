package plugin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/sdk"
)

// builds holds the test connector built once per version, by TestMain.
var builds = map[string]string{}

const testconnectorPkg = "github.com/shopbridge/shopbridge/sdk/internal/testconnector"

func TestMain(m *testing.M) {
	if spec := os.Getenv("SHOPBRIDGE_PLUGIN_TESTHOST"); spec != "" {
		runTestHost(spec)
		return
	}
	dir, err := os.MkdirTemp("", "plugin-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, b := range []struct{ version, protocol string }{{"1.0.0", "1"}, {"1.1.0", "1"}, {"2.0.0", "1"}, {"3.0.0", "2"}} {
		out := filepath.Join(dir, "testconnector-"+b.version)
		ld := fmt.Sprintf("-X %s.Version=%s -X %s.Protocol=%s", testconnectorPkg, b.version, testconnectorPkg, b.protocol)
		cmd := exec.Command("go", "build", "-ldflags", ld, "-o", out, testconnectorPkg+"/cmd/shopbridge-connector-test")
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building the test connector:", err)
			os.Exit(1)
		}
		builds[b.version] = out
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runTestHost is a minimal host process for the orphan test: it opens one
// link, prints the connector's pid and waits to be killed.
func runTestHost(spec string) {
	dir, lock, _ := strings.Cut(spec, "|")
	m, err := NewManager(Options{Dir: dir, Lock: lock})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if _, err := m.Open(context.Background(), testLink("orphan", "")); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("pid", m.Processes()[0].PID)
	select {}
}

type env struct {
	dir, lock string
}

// newEnv is a plugins directory with the given versions installed.
func newEnv(t *testing.T, versions ...string) env {
	t.Helper()
	root := t.TempDir()
	e := env{dir: filepath.Join(root, "plugins"), lock: filepath.Join(root, "shopbridge.lock")}
	for _, v := range versions {
		if _, err := Install(context.Background(), e.dir, e.lock, builds[v]); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// syncBuffer is a log sink that tests can read while the manager writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (e env) manager(t *testing.T) (*Manager, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	m, err := NewManager(Options{
		Dir: e.dir, Lock: e.lock, RestartMin: 100 * time.Millisecond, RestartMax: time.Second,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "host", Output: logs, Level: hclog.Info}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, logs
}

func testLink(id, constraint string, extra ...any) *config.Link {
	s := map[string]any{"shop": "shop-" + id, "token": "secret-" + id}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i].(string)] = extra[i+1]
	}
	return &config.Link{ID: id, ConnectorName: "test", ConnectorConstraint: constraint, Settings: s}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func countProducts(ctx context.Context, l *Link) (int, error) {
	n := 0
	err := l.ReadProducts(ctx, sdk.ReadRequest{PageSize: 7}, func(p sdk.ProductPage) error {
		n += len(p.Items)
		return nil
	})
	return n, err
}

func TestVersionsSideBySideEachLinkOnItsConstraint(t *testing.T) {
	e := newEnv(t, "1.0.0", "1.1.0", "2.0.0")
	m, _ := e.manager(t)
	ctx := ctxT(t)
	want := map[string]string{"caret1": "1.1.0", "tilde100": "1.0.0", "any": "2.0.0", "caret1b": "1.1.0"}
	cons := map[string]string{"caret1": "^1.0", "tilde100": "~1.0.0", "any": "", "caret1b": "^1"}
	links := map[string]*Link{}
	for id, c := range cons {
		l, err := m.Open(ctx, testLink(id, c))
		if err != nil {
			t.Fatalf("open %s: %v", id, err)
		}
		links[id] = l
	}
	for id, l := range links {
		if _, v := l.Connector(); v != want[id] {
			t.Errorf("link %s (%q) runs on %s, want %s", id, cons[id], v, want[id])
		}
		if l.Description().Version != want[id] {
			t.Errorf("link %s: connector describes itself as %s, want %s", id, l.Description().Version, want[id])
		}
		if n, err := countProducts(ctx, l); err != nil || n != 12 {
			t.Errorf("link %s read %d products, err %v; want 12", id, n, err)
		}
	}
	procs := m.Processes()
	if len(procs) != 3 {
		t.Fatalf("%d processes, want one per version (3): %+v", len(procs), procs)
	}
	got := map[string]string{}
	pids := map[int]bool{}
	for _, p := range procs {
		got[p.Version] = strings.Join(p.Links, ",")
		pids[p.PID] = true
	}
	if got["1.1.0"] != "caret1,caret1b" || got["1.0.0"] != "tilde100" || got["2.0.0"] != "any" {
		t.Errorf("links per process = %v", got)
	}
	if len(pids) != 3 || pids[0] {
		t.Errorf("pids %v: want three distinct running processes", pids)
	}
	// The last link of a version closing stops that version's process.
	if err := links["tilde100"].Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Processes() {
		if p.Version == "1.0.0" {
			t.Errorf("process 1.0.0 still listed after its only link closed: %+v", p)
		}
	}
}

func TestChecksumMismatchRefused(t *testing.T) {
	e := newEnv(t, "1.0.0")
	lock, err := ReadLock(e.lock)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, lock.Connectors[0].File)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("tampered"))
	f.Close()
	actual, _ := FileSHA256(path)

	m, _ := e.manager(t)
	_, err = m.Open(ctxT(t), testLink("a", "^1"))
	if err == nil {
		t.Fatal("a tampered binary was opened")
	}
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("error is not a MismatchError: %v", err)
	}
	msg := err.Error()
	for _, s := range []string{path, lock.Connectors[0].SHA256, actual, "shopbridge plugins install"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if len(m.Processes()) != 0 {
		t.Errorf("a process is listed after the refusal: %+v", m.Processes())
	}
}

func TestBinaryNotInLockRefused(t *testing.T) {
	e := newEnv(t)
	os.MkdirAll(e.dir, 0o755)
	b, _ := os.ReadFile(builds["1.0.0"])
	path := filepath.Join(e.dir, FileName("test", "1.0.0"))
	os.WriteFile(path, b, 0o755)
	m, _ := e.manager(t)
	_, err := m.Open(ctxT(t), testLink("a", ""))
	if err == nil || !strings.Contains(err.Error(), "not in the lock file") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a refusal naming the unlocked file", err)
	}
}

func TestProtocolMismatchRefused(t *testing.T) {
	e := newEnv(t, "3.0.0")
	m, _ := e.manager(t)
	// Installed normally: the lock records protocol 2 and the host refuses
	// without starting it.
	_, err := m.Open(ctxT(t), testLink("a", ""))
	if err == nil || !strings.Contains(err.Error(), "protocol 2") || !strings.Contains(err.Error(), "protocol 1") {
		t.Fatalf("err = %v, want both protocol versions named", err)
	}
	// A lock that claims protocol 1 (hand-edited, or written by an older
	// tool) still cannot get it run: the handshake refuses it.
	lock, _ := ReadLock(e.lock)
	lock.Connectors[0].Protocol = 1
	if err := lock.Write(e.lock); err != nil {
		t.Fatal(err)
	}
	_, err = m.Open(ctxT(t), testLink("b", ""))
	if err == nil {
		t.Fatal("a protocol-2 connector was opened by a protocol-1 host")
	}
	msg := err.Error()
	if !strings.Contains(msg, "speaks connector protocol 2") || !strings.Contains(msg, "this host speaks protocol 1") || strings.Contains(msg, "\n") {
		t.Fatalf("err = %q, want one line naming protocol 2 and protocol 1", msg)
	}
}

func TestKilledConnectorRestartedAndLinksWorkAgain(t *testing.T) {
	e := newEnv(t, "1.0.0")
	m, logs := e.manager(t)
	ctx := ctxT(t)
	slow, err := m.Open(ctx, testLink("slow", "", "products", 40, "page_delay_ms", 200))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := m.Open(ctx, testLink("fast", ""))
	if err != nil {
		t.Fatal(err)
	}
	before := m.Processes()[0]

	// Kill the process while a read is in flight on it.
	inFlight := make(chan error, 1)
	firstPage := make(chan struct{})
	go func() {
		var once sync.Once
		inFlight <- slow.ReadProducts(ctx, sdk.ReadRequest{PageSize: 2}, func(sdk.ProductPage) error {
			once.Do(func() { close(firstPage) })
			return nil
		})
	}()
	<-firstPage
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-inFlight
	if sdk.ClassOf(err) != sdk.ClassRetryable {
		t.Fatalf("read in flight during the crash returned %v (class %q), want a retryable error", err, sdk.ClassOf(err))
	}

	// Both links work again on a new process, through the same handles.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := fast.Check(ctx)
		if err == nil {
			break
		}
		if sdk.ClassOf(err) != sdk.ClassRetryable {
			t.Fatalf("during the restart Check returned %v, want retryable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("link not working again after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n, err := countProducts(ctx, fast); err != nil || n != 12 {
		t.Errorf("after restart: %d products, %v", n, err)
	}
	if n, err := countProducts(ctx, slow); err != nil || n != 40 {
		t.Errorf("after restart the slow link read %d products, %v", n, err)
	}
	after := m.Processes()[0]
	if after.PID == before.PID || after.PID == 0 || after.Restarts != 1 || !after.Running {
		t.Errorf("process after restart = %+v, before %+v", after, before)
	}
	if strings.Join(after.Links, ",") != "fast,slow" {
		t.Errorf("links after restart = %v", after.Links)
	}
	if !strings.Contains(logs.String(), "restarted") {
		t.Errorf("host log does not say the connector restarted:\n%s", logs)
	}
}

func TestHostKilledLeavesNoConnectorBehind(t *testing.T) {
	e := newEnv(t, "1.0.0")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHOPBRIDGE_PLUGIN_TESTHOST="+e.dir+"|"+e.lock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("test host said nothing: %v", err)
	}
	pidText, ok := strings.CutPrefix(strings.TrimSpace(line), "pid ")
	pid, perr := strconv.Atoi(pidText)
	if !ok || perr != nil || pid <= 0 {
		cmd.Process.Kill()
		t.Fatalf("test host said %q", line)
	}
	if !processAlive(pid) {
		t.Fatalf("connector %d not running while its host lives", pid)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("connector %d still runs after its host was killed", pid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processAlive reports whether pid runs; a zombie waiting for its new parent
// to reap it does not count.
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestCloseStopsEverythingQuietly(t *testing.T) {
	e := newEnv(t, "1.0.0", "2.0.0")
	m, logs := e.manager(t)
	ctx := ctxT(t)
	for i, c := range []string{"^1", "^2", "^1"} {
		if _, err := m.Open(ctx, testLink(fmt.Sprint("l", i), c)); err != nil {
			t.Fatal(err)
		}
	}
	var pids []int
	for _, p := range m.Processes() {
		pids = append(pids, p.PID)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("connector %d still runs after Close", pid)
		}
	}
	if s := logs.String(); strings.Contains(s, "[WARN]") || strings.Contains(s, "[ERROR]") {
		t.Errorf("Close logged warnings or errors:\n%s", s)
	}
}

func TestConnectorLogsReachHostLogUnderItsName(t *testing.T) {
	e := newEnv(t, "1.0.0")
	m, logs := e.manager(t)
	if _, err := m.Open(ctxT(t), testLink("logged", "")); err != nil {
		t.Fatal(err)
	}
	// The test connector logs "link opened" at info when a link opens.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "host.test: link opened") {
		if time.Now().After(deadline) {
			t.Fatalf("connector's log line not in the host log:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSwapMovesLinkToNewVersion(t *testing.T) {
	e := newEnv(t, "1.0.0", "2.0.0")
	m, _ := e.manager(t)
	ctx := ctxT(t)
	l, err := m.Open(ctx, testLink("s", "^1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Swap(ctx, "s", "^2"); err != nil {
		t.Fatal(err)
	}
	if _, v := l.Connector(); v != "2.0.0" {
		t.Fatalf("after swap the link runs on %s", v)
	}
	if n, err := countProducts(ctx, l); err != nil || n != 12 {
		t.Fatalf("after swap: %d products, %v", n, err)
	}
	procs := m.Processes()
	if len(procs) != 1 || procs[0].Version != "2.0.0" {
		t.Fatalf("processes after swap: %+v (the old version should have stopped)", procs)
	}
}

func TestOpenRejectsBadSettingsNamingTheKey(t *testing.T) {
	e := newEnv(t, "1.0.0")
	m, _ := e.manager(t)
	lc := testLink("bad", "")
	delete(lc.Settings, "shop")
	_, err := m.Open(ctxT(t), lc)
	if sdk.ClassOf(err) != sdk.ClassInvalid || !strings.Contains(err.Error(), "shop") {
		t.Fatalf("err = %v, want invalid naming shop", err)
	}
	// The failed open leaves nothing running and the id free.
	if len(m.Processes()) != 0 {
		t.Errorf("processes after a failed open: %+v", m.Processes())
	}
	lc.Settings["shop"] = "x"
	if _, err := m.Open(ctxT(t), lc); err != nil {
		t.Fatal(err)
	}
}
