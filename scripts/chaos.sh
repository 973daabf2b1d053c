#!/usr/bin/env bash
# The long crash, fault and multi-host suites (make chaos): runs every test
# named *Chaos*, *Faults* and *MultiHost* in core/host with
# SHOPBRIDGE_CHAOS=long and prints the table of runs that docs/reliability.md
# shows. SHOPBRIDGE_CHAOS_SEED=N replays a run; SHOPBRIDGE_TEST_POSTGRES_DSN
# adds the multi-host run.
#
#   scripts/chaos.sh                 # everything, long
#   scripts/chaos.sh TestChaos       # only the crash run
set -euo pipefail
cd "$(dirname "$0")/.."

pattern="${1:-Chaos|Faults|MultiHost}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT

echo "chaos: go test -race -run '$pattern' ./core/host/ (SHOPBRIDGE_CHAOS=long)" >&2
status=0
SHOPBRIDGE_CHAOS=long SHOPBRIDGE_CHAOS_REPORT="$report" \
	go test -race -count=1 -timeout 90m -run "$pattern" ./core/host/ || status=$?

echo
echo "| run | seed | host kills | connector kills | faults | orders | re-deliveries | paid before create | duplicates | losses | wrong lines/customer | stock mismatches | dangling bindings | quarantined | time |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$report"
echo
echo "machine: $(nproc) cores, $(go version | cut -d' ' -f3-), $(date -u +%Y-%m-%d)"
exit "$status"
