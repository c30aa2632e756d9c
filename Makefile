# Tessera quick start: `make run` and `make test` do all the set-up themselves.
# Both are safe to run twice: apt only runs when a package is missing.

APT_PACKAGES := libzmq3-dev libopenblas-dev libpng-dev libdnnl-dev pkg-config
SWIFT ?= swift
CONFIG ?= release

.PHONY: run test deps build clean samples bench-load

deps:
	@bash tools/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build -c $(CONFIG)

## Build everything and start the daemon.
run: build
	$(SWIFT) run -c $(CONFIG) tesserad $(ARGS)

## Install system packages, build, and run the whole test suite.
test: deps
	$(SWIFT) build --build-tests -c debug
	$(SWIFT) test -c debug --skip-build --parallel --num-workers 2
	bash tools/ci/samples.sh

## Run the Python and C samples against a real daemon (part of `make test`).
samples: deps
	bash tools/ci/samples.sh

## Daemon load benchmark (release build into .build-samples; results in tools/loadgen/out).
bench-load: deps
	bash tools/loadgen/bench.sh

clean:
	rm -rf .build
