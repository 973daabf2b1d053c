# shopbridge build, test and tooling. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
TOOLS := $(BIN)/tools
export PATH := $(TOOLS):$(PATH)

# Pinned tool versions: `make proto` and the staleness check must produce
# byte-identical code on every machine.
BUF_VERSION := v1.50.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
# VULNDB is the Go vulnerability database govulncheck reads: vuln.go.dev, or
# file:///path to a mirror on machines that cannot reach it.
VULNDB ?= https://vuln.go.dev

CONNECTORS := $(notdir $(wildcard plugins/*))
TESTCONNECTOR := github.com/shopbridge/shopbridge/sdk/internal/testconnector
TEST_FLAGS ?= -race -timeout 30m

.PHONY: help build test lint vulncheck proto proto-check bench demo chaos large fuzz tools clean

help:
	@echo "make demo   - build everything and run the demo against the local sandbox"
	@echo "make test   - the whole test suite (what CI runs)"
	@echo "make build  - host, connectors and sandbox into ./bin"
	@echo "make lint   - gofmt, go vet, staticcheck"
	@echo "make proto  - regenerate the connector contract's Go code"
	@echo "make bench  - benchmarks and load drivers; writes BENCHMARKS.md"
	@echo "make chaos  - the long crash, fault and multi-host suites"
	@echo "make large  - the 10,000-product initial sync, plan and stock proof (a few minutes)"
	@echo "make fuzz   - every fuzz target for FUZZTIME (default 5s)"

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/shopbridge ./cmd/shopbridge
	$(GO) build -o $(BIN)/shopbridge-sandbox ./cmd/shopbridge-sandbox
	$(GO) build -o $(BIN)/shopbridge-demo ./cmd/shopbridge-demo
	@for c in $(CONNECTORS); do \
		v=$$(sed -n 's/^const Version = "\(.*\)"/\1/p' plugins/$$c/version.go); \
		[ -n "$$v" ] || { echo "plugins/$$c/version.go must declare: const Version = \"x.y.z\"" >&2; exit 1; }; \
		echo "go build shopbridge-connector-$${c}_v$$v"; \
		$(GO) build -o $(BIN)/shopbridge-connector-$${c}_v$$v ./plugins/$$c/cmd/shopbridge-connector-$$c || exit 1; \
	done
	@# bin/plugins holds every connector installed with its sha256 in the
	@# lock, plus two versions of the test connector side by side:
	@#   bin/shopbridge plugins list --plugins-dir bin/plugins --lock bin/plugins/shopbridge.lock
	@mkdir -p $(BIN)/build
	@for v in 1.0.0 1.1.0; do \
		$(GO) build -ldflags "-X $(TESTCONNECTOR).Version=$$v" -o $(BIN)/build/shopbridge-connector-test_v$$v $(TESTCONNECTOR)/cmd/shopbridge-connector-test || exit 1; \
	done
	@for f in $(BIN)/shopbridge-connector-* $(BIN)/build/shopbridge-connector-test_v*; do \
		$(BIN)/shopbridge plugins install $$f --plugins-dir $(BIN)/plugins --lock $(BIN)/plugins/shopbridge.lock >/dev/null || exit 1; \
	done
	$(BIN)/shopbridge plugins list --plugins-dir $(BIN)/plugins --lock $(BIN)/plugins/shopbridge.lock

$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
$(TOOLS)/govulncheck:
	GOBIN=$(TOOLS) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

tools: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc

proto: tools
	cd proto && buf lint && buf generate

# proto-check regenerates into a scratch copy and fails if the committed
# code differs, so nobody edits generated code by hand or forgets `make proto`.
proto-check: tools
	@tmp=$$(mktemp -d); cp -r proto $$tmp/; \
	(cd $$tmp/proto && buf lint && buf generate) || exit 1; \
	if ! diff -r -q proto $$tmp/proto >/dev/null; then \
		diff -r proto $$tmp/proto | head -20; \
		echo "proto: the committed generated code is stale: run 'make proto' and commit the result" >&2; rm -rf $$tmp; exit 1; \
	fi; rm -rf $$tmp; echo "proto: generated code is current"

test: proto-check
	$(GO) vet ./...
	$(GO) test $(TEST_FLAGS) ./...

lint: $(TOOLS)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	@$(MAKE) --no-print-directory vulncheck

# Known vulnerabilities in the code paths shopbridge uses. Findings fail
# (exit 3); a database that cannot be reached is said on a line of its own
# and does not fail, because these build machines reach only the module
# proxy: that line is the honest result, not a pass.
vulncheck: $(TOOLS)/govulncheck
	@out=$$(govulncheck -db $(VULNDB) ./... 2>&1); rc=$$?; \
	if [ $$rc -eq 1 ] && grep -q 'fetching vulnerabilities' <<<"$$out"; then \
		echo "govulncheck: NOT RUN — the vulnerability database $(VULNDB) cannot be reached from this machine ($$(grep -o 'fetching vulnerabilities.*' <<<"$$out" | head -1 | cut -c1-160)); set VULNDB=file:///path/to/a/mirror to check"; \
	else echo "$$out"; exit $$rc; fi

bench:
	@if [ -x scripts/bench.sh ]; then scripts/bench.sh; else $(GO) test -run '^$$' -bench . -benchmem ./...; fi

# DEMO_FLAGS passes flags to the demo, e.g. DEMO_FLAGS="-listen 127.0.0.1:9090"
# when port 8080 is taken (bin/shopbridge-demo -h lists them).
DEMO_FLAGS ?=
demo: build
	$(BIN)/shopbridge-demo -bin $(BIN) $(DEMO_FLAGS)

# The long crash, fault and multi-host suites, with their table of runs.
chaos:
	scripts/chaos.sh

# The issue-7 proof at full size: an initial sync of 10,000 products from the
# Shopify sandbox, then an empty plan and 100 stock moves converging in one
# reconciliation (make test runs the same test at 150 products).
large:
	SHOPBRIDGE_LARGE=1 $(GO) test -race -count=1 -timeout 20m -run 'TestInitialSync10000ThenPlanIsEmptyAndStockConverges' ./core/host/

FUZZTIME ?= 5s
# Every fuzz target in the repository, each for FUZZTIME.
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		d=$$(dirname $$f); for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz $$d $$t ($(FUZZTIME))"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$d; \
		done; \
	done

clean:
	rm -rf $(BIN)
