#!/usr/bin/env bash
# scripts/bench.sh: run every benchmark of issue 10 (and the benchmarks
# other issues asked for) once, at a size that fits in 15 minutes on two
# cores, and regenerate BENCHMARKS.md from the output. `make bench` runs it.
#
# Benchmarks never assert timings; this script only records them. A
# benchmark that fails is listed under "Failures in this run" and the
# others still run.
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
LOGS=${BENCH_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/shopbridge-bench-XXXXXX")}
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
start=$(date +%s)

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "nproc: $(nproc)"
	echo "model name: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "go: $($GO version)"
	echo "kernel: $(uname -sr)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$LOGS/machine.txt"

n=0
# run NAME CMD...: one benchmark command, its output in $LOGS/NN-NAME.log.
run() {
	local name=$1
	shift
	n=$((n + 1))
	local log
	log=$(printf '%s/%02d-%s.log' "$LOGS" "$n" "$name")
	echo "# cmd: $*" >"$log"
	echo "== $name: $*"
	"$@" 2>&1 | tee -a "$log" | grep -E '^(Benchmark|\s+[0-9]+\s|--- FAIL|FAIL|ok|panic)' || true
}

B="$GO test -run ^$ -timeout 20m"

# 1. The process boundary: across it, and in-process for comparison.
run boundary $B -bench Boundary -benchtime 500000x ./core/plugin/
run inprocess $B -bench InProcess -benchtime 500000x ./sdk/internal/benchconnector/
run protobuf $B -bench ProtoPage ./sdk/internal/benchconnector/
run codec $B -bench ProductCodec ./sdk/

# 2. Rate limits: Shopify on a shared clock and in real time, Rackbeat.
run shopify-ratelimit $B -bench RateLimit -benchtime 1x ./plugins/shopify/
run shopify-stockpush $B -bench StockPush -benchtime 40x ./plugins/shopify/
run shopify-realtime $B -bench ShopifyPushRealTime -benchtime 1x ./core/plugin/
run rackbeat $B -bench CatalogueRead -benchtime 1x ./core/rackbeat/

# 3. Latency through the running host.
run latency $B -bench Latency -benchtime 1x ./core/host/

# 4. Memory and scale.
run memory $B -bench 'StreamMemory|IdleLinks' -benchtime 1x ./core/plugin/
run shopbox-memory $B -bench ReadProducts -benchtime 1x ./plugins/shopbox/
run shopify-bulk-memory $B -bench BulkResultMemory -benchtime 1x ./plugins/shopify/
run initial-sync $B -bench InitialSync -benchtime 1x ./core/flow/

end=$(date +%s)
{
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "make bench wall time: $((end - start)) s"
} >>"$LOGS/machine.txt"

$GO run ./cmd/shopbridge-bench -logs "$LOGS" -out BENCHMARKS.md || exit 1
echo "BENCHMARKS.md written ($((end - start)) s; logs in $LOGS)"
