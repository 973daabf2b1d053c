// Command shopbridge-connector-bench is the benchmark connector of
// sdk/internal/benchconnector as a plugin binary.
//
// With SHOPBRIDGE_BENCH_CPUPROFILE=FILE in its environment (the host's
// environment reaches it) it writes a CPU profile of its first
// SHOPBRIDGE_BENCH_PROFILE_SECONDS seconds (default 5) to FILE, to see the
// connector's side of a boundary benchmark. A "%p" in FILE becomes the
// process id: a benchmark starts several connector processes, and each
// would otherwise truncate the profile of the one before.
package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/benchconnector"
)

func main() {
	if path := os.Getenv("SHOPBRIDGE_BENCH_CPUPROFILE"); path != "" && len(os.Args) == 1 {
		secs, err := strconv.Atoi(os.Getenv("SHOPBRIDGE_BENCH_PROFILE_SECONDS"))
		if err != nil || secs <= 0 {
			secs = 5
		}
		path = strings.ReplaceAll(path, "%p", strconv.Itoa(os.Getpid()))
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			time.AfterFunc(time.Duration(secs)*time.Second, func() { pprof.StopCPUProfile(); f.Close() })
		}
	}
	sdk.Serve(benchconnector.New())
}
