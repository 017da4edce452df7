# ablate — build, test and run. Everything here needs only Go, except the C
# plugin (Debian's clang, lld, wasi-libc) and OpenBLAS (libopenblas-dev), which
# `make deps` installs on Debian.

GO        ?= go
BIN       := bin
ABLATE    := $(BIN)/ablate
PLUGINDIR := $(BIN)/plugins
# staticcheck 2025.1.1, by its module version (the proxy serves it under this name).
STATICCHECK_VERSION := v0.6.1
# The test suite's budget: about 15 minutes on 2 cores.
TEST_TIMEOUT ?= 20m

.PHONY: all build build-openblas bench-core bench-openblas test test-short bench lint format check plugins demo deps fuzz fuzz-short clean

all: build

build:
	$(GO) build -o $(ABLATE) ./cmd/ablate

# The same binary with OpenBLAS for matrix products (Debian libopenblas-dev).
build-openblas:
	CGO_LDFLAGS=-lopenblas $(GO) build -tags openblas -o $(ABLATE) ./cmd/ablate

test:
	$(GO) vet ./...
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	# The products' other path: gonum alone, as on processors without AVX2/FMA.
	$(GO) test -tags purego ./core/tensor ./core/internal/gemm ./core/autodiff ./core/nn ./core/optim

test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./core/... ./plugins/... ./registry/... ./experiments/...

# The core benchmarks with each backend, one after the other: the default build
# (the AVX2/FMA sgemm kernel where the processor has it), gonum alone (purego),
# and OpenBLAS.
CORE_BENCH := 'MLPStep|GradNorms|Sgemm/(fwd1|dw1|sq)|Dgemm'
bench-core:
	$(GO) test -run '^$$' -bench $(CORE_BENCH) -benchmem ./core/...
	$(GO) test -tags purego -run '^$$' -bench 'MLPStep|GradNorms' -benchmem ./core/autodiff ./core/optim
	CGO_LDFLAGS=-lopenblas $(GO) test -tags openblas -run '^$$' -bench 'MLPStep|GradNorms' -benchmem ./core/autodiff ./core/optim

bench-openblas: bench-core

lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

format:
	gofmt -w $$(git ls-files '*.go')

check: build lint plugins
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) mod tidy
	git diff --exit-code

plugins:
	@mkdir -p $(PLUGINDIR)
	@set -e; for d in $$(find plugins -name main.go -exec dirname {} \; | sort); do \
		kind=$$(basename $$(dirname $$d)); name=$$(basename $$d); \
		GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -buildmode=c-shared -o $(PLUGINDIR)/$$kind-$$name.wasm ./$$d; \
	done
	@if [ -f plugins/Makefile.c ]; then $(MAKE) -s -f plugins/Makefile.c OUT=$(PLUGINDIR); fi

demo: build
	$(ABLATE) version
	$(ABLATE) run experiments/quickstart.toml -j 2
	$(ABLATE) compare experiments/quickstart.toml --metric test_acc,test_loss
	$(ABLATE) run experiments/preference/demo.toml -j 2
	$(ABLATE) compare experiments/preference/demo.toml --by condition --metric r1/delta,r2/delta

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		dataset-fashion-mnist fortunes clang lld wasi-libc libclang-rt-14-dev-wasm32 \
		libopenblas-dev docker-registry curl

# Each fuzz target for FUZZTIME (CI runs them briefly through `make fuzz-short`).
# fuzz-short counts executions instead of seconds: a wall-clock -fuzztime can end
# with a bare "context deadline exceeded" failure and no crasher when the deadline
# races a worker still executing an input (a race in Go's fuzzing coordinator);
# a count has no deadline to race.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	FuzzDecode:./core/experiment \
	FuzzReadIDX:./core/data \
	FuzzUnpackState:./core/train \
	FuzzParseManifest:./sdk/abi \
	FuzzResolveParams:./core/plugin \
	FuzzLoad:./plugins/internal/estim \
	FuzzLoad:./core/nn \
	FuzzName:./registry \
	FuzzSgemm:./core/internal/gemm

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t%%:*} ($${t#*:}) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:}; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZTIME=50000x

clean:
	rm -rf $(BIN)
