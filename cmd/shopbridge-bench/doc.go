// Command shopbridge-bench turns the output of `make bench` into
// BENCHMARKS.md: every figure next to its limit or peer, the ratio, the
// command that measured it and the machine it ran on.
//
//	shopbridge-bench -logs DIR -out BENCHMARKS.md
//
// DIR holds one file per benchmark command (*.log): its first line is
// "# cmd: <command>", the rest is what `go test -bench` printed. DIR may
// also hold machine.txt ("key: value" lines) and wall.txt (seconds the
// whole run took). scripts/bench.sh writes them.
package main
