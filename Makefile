# psafix: see README.md. Every target works on a fresh machine with Go 1.26.
GO      ?= go
SHARED  ?= $(abspath ../shared)
export GOTOOLCHAIN ?= local
# Tests that read the shared corpus run when it is there and skip otherwise.
export PSAFIX_CORPUS ?= $(if $(wildcard $(SHARED)/corpus),$(SHARED),)

.PHONY: all build test bench lint fmt example fuzz

all: lint test build

build:
	$(GO) build -o bin/psafix ./cmd/psafix

# The unit, golden, conformance and corpus tests, with the fuzz seed corpora; the Helm
# plugin's install test (a module of its own, so that Helm's pkg/action stays out of
# psafix's); and the GitHub Action's script.
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	cd dist/helm-plugin && $(GO) test -count=1 ./...
	bash dist/action/run_test.sh

# Speed and memory are measured here, never in timed unit tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

# staticcheck runs at its pinned version from the module proxy (no install step).
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: fmt
	$(GO) vet ./...
	$(STATICCHECK) ./...

# gofmt, checked (CI runs this and make test; staticcheck, which compiles and analyses every
# dependency from source, runs in make lint before landing).
fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# psafix on the bundled example: the diff it would apply.
example:
	$(GO) run ./cmd/psafix --diff fixtures/example/web/input.yaml || true

FUZZTIME ?= 10m
fuzz:
	$(GO) test ./kio -run '^$$' -fuzz FuzzSplit -fuzztime $(FUZZTIME)
	$(GO) test ./kio -run '^$$' -fuzz FuzzEditor -fuzztime $(FUZZTIME)
	$(GO) test ./fixers -run '^$$' -fuzz FuzzFixFile -fuzztime $(FUZZTIME)
