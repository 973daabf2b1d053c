//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shopbridge/shopbridge/core/status"
	"github.com/shopbridge/shopbridge/core/status/browsertest"
)

// TestDemoRunStatusPageInBrowser runs `make demo` as a user would — built
// binaries, sandboxes, connectors installed with their lock, check, initial
// sync, the running host with customers placing orders — and, while it
// runs, drives the status page in headless Chromium: the links with their
// connector and version, items moving, the connector processes, the queue,
// a sale in quarantine with its reason, Retry pressed by the operator. Then
// it presses Ctrl-C (SIGINT) and checks the demo exits 0 within a bounded
// wait, leaving no process it started and no port taken.
//
// Everything the demo writes goes to the test's temporary directory; the
// developer's bin/ and .demo/ are not touched.
func TestDemoRunStatusPageInBrowser(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("the demo run builds every binary and runs for about a minute; skipped in -short mode")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	versions := buildAll(t, root, bin)

	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	demoDir := filepath.Join(tmp, "demo")
	d := startDemo(t, tmp, filepath.Join(bin, "shopbridge-demo"),
		"-bin", bin, "-dir", demoDir, "-listen", "127.0.0.1:"+strconv.Itoa(port),
		"-products", "100", "-orders-every", "1s", "-stock-every", "1s")

	// 1. The running state, as the demo announces it.
	line := d.waitFor(t, RunningMarker, 2*time.Minute)
	if m := regexp.MustCompile(`running after ([0-9.]+)s`).FindStringSubmatch(line); m != nil {
		t.Logf("figure: running state reached %ss after the demo started (100 products, 2 links)", m[1])
	}
	tokenBytes, err := os.ReadFile(filepath.Join(demoDir, "operator-token"))
	if err != nil {
		t.Fatalf("the demo's operator token: %v", err)
	}
	token := strings.TrimSpace(string(tokenBytes))
	if strings.Contains(d.output(), token) {
		t.Error("the demo printed the operator token; it belongs in the file only")
	}

	// 2. Wait, as a user glancing at the page would, until both links have
	// moved items and the till-only sale sits in quarantine.
	snap := waitSnapshot(t, base, token, 90*time.Second, func(s *status.Snapshot) bool {
		return movedOn(s, "pos") > 0 && movedOn(s, "webshop") > 0 && quarantined(s, tillOnlySKU) != nil
	})
	if q := quarantined(snap, tillOnlySKU); q.Link != "pos" || !strings.Contains(q.Reason, "not a product number in Rackbeat") {
		t.Errorf("quarantine item for the till-only sale: %+v", q)
	}

	// 3. The page in a browser.
	t.Run("browser", func(t *testing.T) {
		browse(t, d, base, token, versions)
	})

	// 4. Ctrl-C: everything stops, nothing is left.
	before := descendants(d.cmd.Process.Pid)
	if len(before) < 4 {
		t.Errorf("expected the sandbox, the host and two connector processes under the demo, found %v", before)
	}
	t0 := time.Now()
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the demo did not exit within 60 s of Ctrl-C; its output:\n%s", d.output())
	}
	t.Logf("figure: the demo stopped %.1fs after Ctrl-C", time.Since(t0).Seconds())
	if d.err != nil {
		t.Errorf("the demo exited with %v after Ctrl-C, want status 0; its output ends:\n%s", d.err, tail(d.output(), 40))
	}
	for _, p := range before {
		if p.alive() {
			t.Errorf("process %d (%s) is still running after the demo exited", p.pid, p.cmd)
		}
	}
	for _, p := range processesUnder(bin, demoDir) {
		t.Errorf("process %d (%s) from the demo's binaries is still running", p.pid, p.cmd)
	}
	ports := append([]string{"127.0.0.1:" + strconv.Itoa(port)}, sandboxAddrs(d.output())...)
	if len(ports) != 4 {
		t.Errorf("found the ports %v in the demo's output, want the host's and three sandboxes'", ports)
	}
	for _, addr := range ports {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("port %s is still taken after the demo exited: %v", addr, err)
			continue
		}
		ln.Close()
	}
	out := d.output()
	summary := out[strings.LastIndex(out, "▶ summary"):]
	for _, want := range []string{"in quarantine at the end:", tillOnlySKU, "not a product number in Rackbeat", "demo stopped"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the demo's summary lacks %q:\n%s", want, summary)
		}
	}
}

// browse is what an operator does on the page during the demo.
func browse(t *testing.T, d *demo, base, token string, versions map[string]string) {
	chromium := browsertest.FindChromium(t)
	ctx := browsertest.Browser(t, chromium, 2*time.Minute)
	shots := browsertest.ArtifactDir(t)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}
	load := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#links"))); err != nil {
			t.Fatalf("load the status page: %v", err)
		}
	}
	// itemsTotal sums the "Items (total)" column of a link's flows.
	itemsTotal := func(link string) int {
		t.Helper()
		s := eval(`String(Array.from(document.querySelectorAll('#link-` + link + ` tr')).slice(1)
			.reduce((n, tr) => n + (parseInt(tr.cells[6].textContent, 10) || 0), 0))`)
		n, _ := strconv.Atoi(s)
		return n
	}
	// quarantineRow finds the row of the till-only sale: its id and item key.
	quarantineRow := func() (id, key string) {
		t.Helper()
		s := eval(`(() => { const tr = Array.from(document.querySelectorAll('#quarantine tr[id^="q-"]'))
			.find(tr => tr.textContent.includes(` + browsertest.JSString(tillOnlySKU) + `));
			return tr ? tr.id.slice(2) + ' ' + tr.cells[3].textContent.trim() : '' })()`)
		id, key, _ = strings.Cut(s, " ")
		return id, key
	}

	// Read-only, as anyone on the machine sees it.
	load()
	links := text("#links")
	for _, want := range []string{"webshop", "shopify v" + versions["shopify"], "demo.myshopify.com", "pos", "shopbox v" + versions["shopbox"], "@shopbox.test (shop 1)"} {
		if !strings.Contains(links, want) {
			t.Errorf("the links section lacks %q:\n%s", want, links)
		}
	}
	if who := text("#who"); who != "read-only" {
		t.Errorf("badge says %q before login", who)
	}
	first := map[string]int{"pos": itemsTotal("pos"), "webshop": itemsTotal("webshop")}
	for link, n := range first {
		if n <= 0 {
			t.Errorf("link %s shows %d items moved, want some", link, n)
		}
	}
	procs := text("#processes")
	for _, want := range []string{"shopify", "shopbox", "running"} {
		if !strings.Contains(procs, want) {
			t.Errorf("the processes section lacks %q:\n%s", want, procs)
		}
	}
	kids := descendants(d.cmd.Process.Pid)
	for _, pid := range strings.Fields(eval(`Array.from(document.querySelectorAll('#processes tr')).slice(1).map(tr => tr.cells[3].textContent.trim()).join(' ')`)) {
		if !kids.has(pid) {
			t.Errorf("the page lists connector pid %s, which is not a process the demo started (%v)", pid, kids)
		}
	}
	if q := text("#queue-total"); !regexp.MustCompile(`^\d+$`).MatchString(strings.TrimSpace(q)) {
		t.Errorf("queue depth card shows %q, want a number", q)
	}
	if q := text("#quarantine"); !strings.Contains(q, tillOnlySKU) || !strings.Contains(q, "not a product number in Rackbeat") {
		t.Errorf("the quarantine section lacks the till-only sale and its reason:\n%s", q)
	}
	browsertest.Screenshot(t, ctx, shots, "demo-status-read-only.png")

	// A second look a little later: the numbers have grown (the page
	// refreshes itself; reloading is the same, sooner).
	grew := false
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		load()
		if itemsTotal("pos") > first["pos"] {
			grew = true
			break
		}
	}
	if !grew {
		t.Errorf("items moved on link pos did not grow between two loads (first %d)", first["pos"])
	}

	// The operator logs in with the token the demo configured.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#login input[name="token"]`), token),
		chromedp.Click(chromedp.CSS(`#login button`)),
		chromedp.WaitVisible(chromedp.CSS("#flash-loggedin")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if who := text("#who"); who != "operator" {
		t.Fatalf("badge says %q after login", who)
	}

	// Retry the quarantined sale. The page reloads itself every 10 s; a
	// reload between finding the button and clicking it loses the click, so
	// a fresh load precedes each of a few attempts.
	var id, key string
	retried := false
	for attempt := 0; attempt < 3 && !retried; attempt++ {
		load()
		if id, key = quarantineRow(); id == "" {
			t.Fatalf("no quarantine row for %s on the operator's page:\n%s", tillOnlySKU, text("#quarantine"))
		}
		wait, cancel := context.WithTimeout(ctx, 8*time.Second)
		err := chromedp.Do(wait, chromedp.Click(chromedp.CSS("#retry-"+id)), chromedp.WaitVisible(chromedp.CSS("#flash-retried")))
		cancel()
		retried = err == nil
	}
	if !retried {
		t.Fatal("pressing Retry never showed the result")
	}
	if fl := text("#flash-retried"); !strings.Contains(fl, "Item "+id+" is back in the queue") {
		t.Errorf("flash after retry: %q", fl)
	}
	if n := eval(`String(document.querySelectorAll('#q-` + id + `').length)`); n != "0" {
		t.Error("the retried item is still listed right after Retry")
	}
	// The retried import runs again at once and, the product still missing
	// in Rackbeat, puts the same sale back in quarantine as a new item.
	back := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		load()
		if nid, nkey := quarantineRow(); nkey == key && nid != id {
			back = true
			break
		}
	}
	if !back {
		t.Errorf("sale %s did not come back to quarantine after Retry:\n%s", key, text("#quarantine"))
	}
	browsertest.Screenshot(t, ctx, shots, "demo-status-operator.png")

	html := eval(`document.documentElement.outerHTML`)
	if strings.Contains(html, token) {
		t.Error("the page in the browser shows the operator token")
	}
}

// demo is the running demo process and everything it printed.
type demo struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu    sync.Mutex
	out   strings.Builder
	lines chan string
}

func startDemo(t *testing.T, dir, path string, args ...string) *demo {
	t.Helper()
	d := &demo{cmd: exec.Command(path, args...), done: make(chan struct{}), lines: make(chan string, 4096)}
	d.cmd.Dir = dir
	d.cmd.WaitDelay = 5 * time.Second
	// Its own process group, like a program started from a shell: the
	// test's Ctrl-C goes to the demo alone, which must stop the rest.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w := io.Pipe()
	d.cmd.Stdout, d.cmd.Stderr = w, w
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.out.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
			select {
			case d.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() { d.err = d.cmd.Wait(); w.Close(); close(d.done) }()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			// The test failed before Ctrl-C: take everything down hard.
			for _, p := range descendants(d.cmd.Process.Pid) {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
			}
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.done
		}
		if dir := os.Getenv("SHOPBRIDGE_ARTIFACTS"); dir != "" || t.Failed() {
			if dir == "" {
				dir = t.TempDir()
			}
			p := filepath.Join(dir, "demo-output.txt")
			_ = os.MkdirAll(dir, 0o755)
			if os.WriteFile(p, []byte(d.output()), 0o644) == nil {
				t.Logf("the demo's output: %s", p)
			}
		}
	})
	return d
}

func (d *demo) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.String()
}

// waitFor returns the first line that starts with prefix.
func (d *demo) waitFor(t *testing.T, prefix string, limit time.Duration) string {
	t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case l := <-d.lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-d.done:
			t.Fatalf("the demo exited (%v) before printing %q:\n%s", d.err, prefix, d.output())
		case <-timeout:
			t.Fatalf("the demo did not print %q within %s:\n%s", prefix, limit, d.output())
		}
	}
}

// waitSnapshot polls /status.json as the operator until ok holds.
func waitSnapshot(t *testing.T, base, token string, limit time.Duration, ok func(*status.Snapshot) bool) *status.Snapshot {
	t.Helper()
	var last *status.Snapshot
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, base+"/status.json", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			continue
		}
		var s status.Snapshot
		err = json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			continue
		}
		last = &s
		if !s.Operator {
			t.Fatal("/status.json does not take the operator token the demo configured")
		}
		if ok(&s) {
			return &s
		}
	}
	b, _ := json.MarshalIndent(last, "", "  ")
	t.Fatalf("the status never showed both links moving and the till-only sale in quarantine; last:\n%s", b)
	return nil
}

func movedOn(s *status.Snapshot, link string) int64 {
	var n int64
	for _, l := range s.Links {
		if l.ID == link {
			for _, f := range l.Flows {
				n += f.ItemsTotal
			}
		}
	}
	return n
}

func quarantined(s *status.Snapshot, sku string) *status.QuarantineView {
	for i, q := range s.Quarantine.Items {
		if strings.Contains(q.Reason, sku) {
			return &s.Quarantine.Items[i]
		}
	}
	return nil
}

// buildAll builds what `make build` builds for the demo into bin, the
// connectors named with their versions; it returns the versions.
func buildAll(t *testing.T, root, bin string) map[string]string {
	t.Helper()
	pkgs := []string{"./cmd/shopbridge", "./cmd/shopbridge-sandbox", "./cmd/shopbridge-demo"}
	versions := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(root, "plugins", "*", "version.go"))
	re := regexp.MustCompile(`(?m)^const Version = "(.*)"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s declares no const Version", f)
		}
		name := filepath.Base(filepath.Dir(f))
		versions[name] = string(m[1])
		pkgs = append(pkgs, "./plugins/"+name+"/cmd/shopbridge-connector-"+name)
	}
	if versions["shopify"] == "" || versions["shopbox"] == "" {
		t.Fatalf("connector versions %v: want shopify and shopbox", versions)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	build := exec.Command("go", append([]string{"build", "-o", bin + "/"}, pkgs...)...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", pkgs, err, out)
	}
	for name, v := range versions {
		from := filepath.Join(bin, "shopbridge-connector-"+name)
		if err := os.Rename(from, from+"_v"+v); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("built %d binaries in %.1fs", len(pkgs), time.Since(t0).Seconds())
	return versions
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sandboxAddrs finds the sandboxes' host:port in the demo's output.
func sandboxAddrs(out string) []string {
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^  (?:Rackbeat|Shopify|Shopbox) +http://([0-9.]+:[0-9]+)`).FindAllStringSubmatch(out, -1) {
		addrs = append(addrs, m[1])
	}
	return addrs
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// proc is a process seen in /proc; start (its start time in clock ticks)
// tells it apart from a later process that reuses the pid.
type proc struct {
	pid   int
	ppid  int
	start string
	cmd   string
}

func (p proc) String() string { return fmt.Sprintf("%d %s", p.pid, p.cmd) }

// alive says whether the process still runs (a zombie has ended).
func (p proc) alive() bool {
	q, ok := readProc(p.pid)
	return ok && q.start == p.start
}

func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	s := string(b)
	// The command name, in parentheses, may hold spaces; the fields after
	// the last ")" are state, ppid, …, with the start time 20th.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 || f[0] == "Z" {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return proc{pid: pid, ppid: ppid, start: f[19], cmd: strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))}, true
}

func allProcs() []proc {
	var out []proc
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

type procs []proc

func (ps procs) has(pid string) bool {
	for _, p := range ps {
		if strconv.Itoa(p.pid) == pid {
			return true
		}
	}
	return false
}

// descendants lists the live processes below root, whatever their process
// group.
func descendants(root int) procs {
	all := allProcs()
	in := map[int]bool{root: true}
	var out procs
	for grew := true; grew; {
		grew = false
		for _, p := range all {
			if in[p.ppid] && !in[p.pid] {
				in[p.pid] = true
				out = append(out, p)
				grew = true
			}
		}
	}
	return out
}

// processesUnder lists live processes whose program lies under one of dirs.
func processesUnder(dirs ...string) []proc {
	var out []proc
	for _, p := range allProcs() {
		for _, d := range dirs {
			if strings.HasPrefix(p.cmd, d+"/") {
				out = append(out, p)
			}
		}
	}
	return out
}
