package plugin

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkStreamMemory streams catalogues of 10,000, 100,000 and 1,000,000
// products from a fresh bench connector process to the host, 500 a page,
// and reports the peak memory of each side: the connector's peak resident
// set (VmHWM) and the host's peak heap (sampled every 5 ms, garbage not yet
// collected included). A streaming read holds a few pages, not the
// catalogue, so both should stay flat as the catalogue grows; the host's
// bindings live in its store, not here. One read per size whatever b.N.
//
//	go test -run '^$' -bench StreamMemory -benchtime 1x ./core/plugin/
func BenchmarkStreamMemory(b *testing.B) {
	for _, n := range []int64{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("products=%d", n), func(b *testing.B) {
			m := benchManager(b)
			l, err := m.Open(context.Background(), benchLink(nextID("mem"), n, 500))
			if err != nil {
				b.Fatal(err)
			}
			pid := m.Processes()[0].PID
			runtime.GC()
			base := heapObjects()
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				t := time.NewTicker(5 * time.Millisecond)
				defer t.Stop()
				for {
					if h := heapObjects(); h > peak.Load() {
						peak.Store(h)
					}
					select {
					case <-stop:
						return
					case <-t.C:
					}
				}
			}()
			start := time.Now()
			got := int64(0)
			if err := l.ReadProducts(context.Background(), sdk.ReadRequest{PageSize: 500}, func(p sdk.ProductPage) error {
				got += int64(len(p.Items))
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			el := time.Since(start)
			close(stop)
			<-sampled
			if got != n {
				b.Fatalf("read %d products, want %d", got, n)
			}
			b.ReportMetric(float64(procStatusKB(pid, "VmHWM"))/1024, "connector_peak_RSS_MB")
			b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "host_peak_heap_MB")
			b.ReportMetric(float64(n)/el.Seconds(), "products/s")
		})
	}
}

// BenchmarkIdleLinks opens 1,000 links on one connector version and
// reports that they share one process, what each link costs in memory on
// both sides, and the CPU both sides burn over 10 idle seconds. Measured on
// the plugin manager, the part of the host that multiplexes links; the
// host's per-link schedules are not part of it. One run whatever b.N.
//
//	go test -run '^$' -bench IdleLinks -benchtime 1x ./core/plugin/
func BenchmarkIdleLinks(b *testing.B) {
	const links = 1000
	m := benchManager(b)
	ctx := context.Background()
	if _, err := m.Open(ctx, benchLink(nextID("idle"), 0, 500)); err != nil {
		b.Fatal(err)
	}
	pid := m.Processes()[0].PID
	hostHeap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	rss0, heap0 := procStatusKB(pid, "VmRSS"), hostHeap()
	for i := 1; i < links; i++ {
		if _, err := m.Open(ctx, benchLink(nextID("idle"), 0, 500)); err != nil {
			b.Fatal(err)
		}
	}
	procs := m.Processes()
	if len(procs) != 1 || len(procs[0].Links) != links {
		b.Fatalf("%d processes, first with %d links; want 1 process with %d", len(procs), len(procs[0].Links), links)
	}
	rss1, heap1 := procStatusKB(pid, "VmRSS"), hostHeap()
	const idle = 10 * time.Second
	c0, h0 := procCPU(pid), selfCPU()
	time.Sleep(idle)
	c1, h1 := procCPU(pid), selfCPU()
	b.ReportMetric(float64(len(procs)), "processes")
	b.ReportMetric(float64((rss1-rss0)*1024)/(links-1), "connector_B/link")
	b.ReportMetric(float64(int64(heap1)-int64(heap0))/(links-1), "host_heap_B/link")
	b.ReportMetric(float64(rss1)/1024, "connector_RSS_MB")
	b.ReportMetric(100*(c1-c0).Seconds()/idle.Seconds(), "connector_idle_CPU_%")
	b.ReportMetric(100*(h1-h0).Seconds()/idle.Seconds(), "host_idle_CPU_%")
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// procStatusKB reads one kB field of /proc/PID/status.
func procStatusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// procCPU is the user and system time a process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
