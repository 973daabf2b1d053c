package plugin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/sdk"
)

// The boundary benchmarks measure what crossing the process boundary costs:
// products streamed from a real connector process (the bench connector,
// started by the Manager through go-plugin with AutoMTLS and its sha256
// checked) to the host, and product writes sent the other way, next to the
// same connector called in-process (sdk/internal/benchconnector's own
// benchmarks: core may not import an sdk-internal package) and next to
// Conduit's published generator→file figure.
//
//	go test -run '^$' -bench Boundary -benchtime 2000000x ./core/plugin/

// conduitRecordsPerSecond is Conduit's best published pipeline figure
// (generator → file, its benchi methodology).
const conduitRecordsPerSecond = 338200

var benchEnv struct {
	once      sync.Once
	dir, lock string
	err       error
}

// benchPlugins builds the bench connector once and installs it in a
// plugins directory with its lock file.
func benchPlugins(b *testing.B) (dir, lock string) {
	b.Helper()
	benchEnv.once.Do(func() {
		root, err := os.MkdirTemp("", "plugin-bench-")
		if err != nil {
			benchEnv.err = err
			return
		}
		bin := filepath.Join(root, "shopbridge-connector-bench")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/shopbridge/shopbridge/sdk/internal/benchconnector/cmd/shopbridge-connector-bench")
		if out, err := cmd.CombinedOutput(); err != nil {
			benchEnv.err = fmt.Errorf("building the bench connector: %v\n%s", err, out)
			return
		}
		benchEnv.dir, benchEnv.lock = filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
		_, benchEnv.err = Install(context.Background(), benchEnv.dir, benchEnv.lock, bin)
	})
	if benchEnv.err != nil {
		b.Fatal(benchEnv.err)
	}
	return benchEnv.dir, benchEnv.lock
}

func benchManager(b *testing.B) *Manager {
	b.Helper()
	dir, lock := benchPlugins(b)
	m, err := NewManager(Options{Dir: dir, Lock: lock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func benchLink(id string, products int64, pageSize int) *config.Link {
	return &config.Link{ID: id, ConnectorName: "bench", ConnectorConstraint: "^1",
		Settings: map[string]any{"products": products, "page_size": pageSize}}
}

// procIO reads a process's rchar and wchar: the bytes it passed to read and
// write, which for a connector are almost all the gRPC connection's TLS
// records.
func procIO(pid int) (rchar, wchar int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "rchar":
			rchar = n
		case "wchar":
			wchar = n
		}
	}
	return rchar, wchar
}

// cpuMeter measures the CPU time the host (this process) and the connector
// process spend on a benchmark (procCPU and selfCPU: scale_bench_test.go). On a shared machine the wall-clock rate
// depends on what else runs; CPU per product does much less, and says what
// two idle cores could do: 2 s of CPU per second, divided by the CPU both
// processes spend per product.
type cpuMeter struct {
	pid        int
	host, conn time.Duration
}

func startCPU(pid int) *cpuMeter {
	return &cpuMeter{pid: pid, host: selfCPU(), conn: procCPU(pid)}
}

func (m *cpuMeter) report(b *testing.B, products int) {
	host := selfCPU() - m.host
	conn := procCPU(m.pid) - m.conn
	if host <= 0 || conn <= 0 {
		return
	}
	hostUS := float64(host.Microseconds()) / float64(products)
	connUS := float64(conn.Microseconds()) / float64(products)
	b.ReportMetric(hostUS, "host_cpu_us/product")
	b.ReportMetric(connUS, "connector_cpu_us/product")
	b.ReportMetric(2e6/(hostUS+connUS), "products/s_on_2_idle_cores")
}

func reportRate(b *testing.B, products int, el time.Duration, wire int64) {
	rate := float64(products) / el.Seconds()
	b.ReportMetric(rate, "products/s")
	if wire > 0 {
		b.ReportMetric(float64(wire)/el.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(wire)/float64(products), "B/product")
	}
	b.ReportMetric(rate/conduitRecordsPerSecond, "x_conduit")
	b.ReportMetric(float64(el.Nanoseconds())/float64(products), "ns/product")
}

// BenchmarkBoundaryRead streams b.N products in one ReadProducts call, at
// several page sizes, across the boundary.
func BenchmarkBoundaryRead(b *testing.B) {
	for _, size := range []int{100, 500, 2000} {
		b.Run(fmt.Sprintf("grpc/page=%d", size), func(b *testing.B) { benchReadGRPC(b, size) })
	}
	// About a fifth of the host's CPU is allocation and GC (the SDK's types
	// hold strings, maps and big.Int decimals); this shows what a less
	// eager collector on the host side (GOGC=400, the connector left at its
	// default) buys.
	b.Run("grpc/page=500/host-gogc=400", func(b *testing.B) {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		benchReadGRPC(b, 500)
	})
}

func readAll(b *testing.B, r sdk.ProductReader, pageSize int) int {
	n := 0
	err := r.ReadProducts(context.Background(), sdk.ReadRequest{PageSize: pageSize}, func(p sdk.ProductPage) error {
		n += len(p.Items)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

var linkSeq sync.Map

func nextID(prefix string) string {
	v, _ := linkSeq.LoadOrStore(prefix, new(int64))
	p := v.(*int64)
	*p++
	return fmt.Sprintf("%s-%d", prefix, *p)
}

func benchReadGRPC(b *testing.B, pageSize int) {
	m := benchManager(b)
	ctx := context.Background()
	l, err := m.Open(ctx, benchLink(nextID("read"), int64(b.N), pageSize))
	if err != nil {
		b.Fatal(err)
	}
	pid := m.Processes()[0].PID
	_, w0 := procIO(pid)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(pid)
	start := time.Now()
	n := readAll(b, l, pageSize)
	el := time.Since(start)
	b.StopTimer()
	cpu.report(b, n)
	_, w1 := procIO(pid)
	if n != b.N {
		b.Fatalf("read %d products, want %d", n, b.N)
	}
	reportRate(b, n, el, w1-w0)
}

// BenchmarkBoundaryWrite sends b.N product writes in batches of 500 and
// reads the per-item results across the boundary.
func BenchmarkBoundaryWrite(b *testing.B) {
	const batch = 500
	run := func(b *testing.B, w sdk.ProductWriter, pid int, writes []sdk.ProductWrite) {
		ctx := context.Background()
		var r0 int64
		if pid > 0 {
			r0, _ = procIO(pid)
		}
		b.ReportAllocs()
		b.ResetTimer()
		cpu := startCPU(pid)
		start := time.Now()
		for done := 0; done < b.N; done += batch {
			res, err := w.WriteProducts(ctx, writes[:min(batch, b.N-done)])
			if err != nil {
				b.Fatal(err)
			}
			if res[0].Err != nil || res[0].Product.ID == "" {
				b.Fatalf("write failed: %+v", res[0])
			}
		}
		el := time.Since(start)
		b.StopTimer()
		cpu.report(b, b.N)
		var wire int64
		if pid > 0 {
			r1, _ := procIO(pid)
			wire = r1 - r0
		}
		reportRate(b, b.N, el, wire)
	}
	b.Run("grpc/batch=500", func(b *testing.B) {
		m := benchManager(b)
		l, err := m.Open(context.Background(), benchLink(nextID("write"), batch, batch))
		if err != nil {
			b.Fatal(err)
		}
		// The batch written is the connector's own first page, as a host
		// writing what it read elsewhere would send.
		writes := make([]sdk.ProductWrite, 0, batch)
		_ = l.ReadProducts(context.Background(), sdk.ReadRequest{PageSize: batch}, func(p sdk.ProductPage) error {
			for _, pr := range p.Items {
				k := strconv.Itoa(len(writes))
				writes = append(writes, sdk.ProductWrite{Key: k, IdempotencyKey: "w-" + k, Product: pr})
			}
			return nil
		})
		if len(writes) != batch {
			b.Fatalf("got %d products to write, want %d", len(writes), batch)
		}
		run(b, l, m.Processes()[0].PID, writes)
	})
}
