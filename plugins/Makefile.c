# Builds the built-in plugins written in C with Debian's clang, lld and
# wasi-libc: make -f plugins/Makefile.c OUT=bin/plugins
OUT      ?= bin/plugins
WASI_CC  ?= clang
# Debian's clang finds wasi-libc under /usr by itself; set WASI_SYSROOT for
# another layout (e.g. /usr/share/wasi-sysroot or a wasi-sdk).
WASI_SYSROOT ?=
WASI_CFLAGS  ?= --target=wasm32-wasi -O2 -mexec-model=reactor -std=c11 -Wall -Wextra -Werror \
	$(if $(WASI_SYSROOT),--sysroot=$(WASI_SYSROOT))

C_PLUGINS := $(OUT)/estimator-diag-lognormal-c.wasm

all: $(C_PLUGINS)

$(OUT)/estimator-diag-lognormal-c.wasm: plugins/estimator/diag-lognormal-c/main.c
	@mkdir -p $(OUT)
	$(WASI_CC) $(WASI_CFLAGS) -o $@ $< -lm

.PHONY: all
