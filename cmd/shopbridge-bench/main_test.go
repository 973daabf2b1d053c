package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const initialSyncLog = `# cmd: go test -run ^$ -timeout 20m -bench InitialSync -benchtime 1x ./core/flow/
goos: linux
BenchmarkInitialSync/new-10000%[1]s         	       1	3901835200 ns/op	        63.29 live-B/product	        38.05 peak-RSS-MiB	         3.470 peak-heap-MiB	         1.708 peak-live-MiB	      2563 products/s
BenchmarkInitialSync/new-100000%[1]s        	       1	33229755086 ns/op	         6.568 live-B/product	        39.57 peak-RSS-MiB	         3.538 peak-heap-MiB	         1.803 peak-live-MiB	      3009 products/s
BenchmarkInitialSync/existing-100000%[1]s   	       1	20817565409 ns/op	        93.31 live-B/product	        56.15 peak-RSS-MiB	        19.14 peak-heap-MiB	        10.10 peak-live-MiB	      4803 products/s
BenchmarkInitialSync/existing-id-fields-100000%[1]s        	       1	23617412738 ns/op	       103.2 live-B/product	        55.84 peak-RSS-MiB	        20.70 peak-heap-MiB	        11.05 peak-live-MiB	      4234 products/s
BenchmarkInitialSync/index-1000000%[1]s     	       1	10632711644 ns/op	        83.01 index-B/product	        79.17 index-MiB	       162.8 peak-heap-MiB	     94048 products/s
BenchmarkInitialSync/index-id-fields-1000000%[1]s     	       1	10632711644 ns/op	        91.01 index-B/product	        86.80 index-MiB	       170.8 peak-heap-MiB	     94048 products/s
ok  	github.com/shopbridge/shopbridge/core/flow	80s
`

// The initial sync's cases are read under their own names whether go test
// added a -GOMAXPROCS suffix or not (GOMAXPROCS=1 adds none, and the
// names end in a number of their own), and BENCHMARKS.md says from them
// that new products keep the host flat and an existing catalogue costs
// the index.
func TestInitialSyncRowsAndNote(t *testing.T) {
	for _, suffix := range []string{"-2", ""} {
		dir := t.TempDir()
		log := strings.ReplaceAll(initialSyncLog, "%[1]s", suffix)
		if err := os.WriteFile(filepath.Join(dir, "01-initial-sync.log"), []byte(log), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := readLogs(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"BenchmarkInitialSync/new-10000", "BenchmarkInitialSync/new-100000", "BenchmarkInitialSync/existing-100000",
			"BenchmarkInitialSync/index-1000000", "BenchmarkInitialSync/index-id-fields-1000000"} {
			if _, ok := r.byName[name]; !ok {
				t.Errorf("suffix %q: %s not read (read %v)", suffix, name, r.order)
			}
		}
		var out bytes.Buffer
		render(&out, r, nil)
		md := out.String()
		for _, want := range []string{
			"| initial sync of 100,000 products into an empty Rackbeat (core/flow's own) | 3,009 products/s; peak live heap 1.80 MiB",
			"| initial sync of 100,000 products Rackbeat already has, one in ten changed (core/flow's own) | 4,803 products/s; peak live heap 10.1 MiB (93.3 B/product",
			"| initial sync of 100,000 products Rackbeat already has, link with id custom fields (Shopbox; one in ten changed, another tenth without its ids; core/flow's own) | 4,234 products/s",
			"(100,000 of them) the peak live heap is 10.1 MiB, 93.3 B/product",
			"| initial sync's catalogue index alone, 1,000,000 products (core/flow's own) | 83.0 B/product, 79.2 MiB kept",
			"into an empty Rackbeat it is flat, peak live heap 1.71 MiB at 10,000, 1.80 MiB at 100,000 new products",
			"83.0 B/product, 79.2 MiB at 1,000,000 products in the index-only case",
			"(Shopbox) adds a fingerprint of them: 91.0 B/product",
			"counted the Rackbeat sandbox",
		} {
			if !strings.Contains(md, want) {
				t.Errorf("suffix %q: BENCHMARKS.md lacks %q:\n%s", suffix, want, md)
			}
		}
		if strings.Contains(md, "is not flat") {
			t.Errorf("suffix %q: flat figures called not flat", suffix)
		}
	}
}

// A sync into an empty Rackbeat whose heap grows with the catalogue is
// called out, with the growth per product.
func TestInitialSyncNoteSaysWhenNotFlat(t *testing.T) {
	r := &runs{byName: map[string]result{}}
	r.add("BenchmarkInitialSync/new-10000", "1 ns/op 2 peak-live-MiB", "cmd")
	r.add("BenchmarkInitialSync/new-100000", "1 ns/op 190 peak-live-MiB", "cmd")
	var out bytes.Buffer
	initialSyncNote(&out, r)
	if !strings.Contains(out.String(), "**into an empty Rackbeat it is not flat**") || !strings.Contains(out.String(), "2,190 B per product") {
		t.Errorf("note: %s", out.String())
	}
}

// A log whose names all carry the same -N has it stripped; a log whose
// names end in different numbers keeps them.
func TestCommonProcSuffix(t *testing.T) {
	cases := []struct {
		names []string
		want  string
	}{
		{[]string{"BenchmarkA-2", "BenchmarkB/x-10-2"}, "-2"},
		{[]string{"BenchmarkA/new-10", "BenchmarkA/new-100"}, ""},
		{[]string{"BenchmarkA/page=500-8"}, "-8"},
		{[]string{"BenchmarkA-2", "BenchmarkB"}, ""},
		{nil, ""},
	}
	for _, c := range cases {
		if got := commonProcSuffix(c.names); got != c.want {
			t.Errorf("%v: suffix %q, want %q", c.names, got, c.want)
		}
	}
}
