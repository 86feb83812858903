# spoolbridge: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: deps build demo test bench bench-cups deb test-deb clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

# Build, start the cloud emulator, run the daemon on a temporary hot folder, drop a document, show it delivered.
demo: deps
	scripts/demo.sh

# The whole suite: unit, integration (real daemon, emulator, inotify, SQLite) and CUPS tests (a private cupsd).
# Serial (--no-parallel): many tests run real processes and wait on real time; in parallel on 2 cores
# they starve each other's few cooperative threads. Serial, the suite takes ~2 minutes.
test: deps
	swift build --build-tests
	swift test --skip-build --no-parallel

# Benchmarks with figures (release build); results go to Docs/performance.md by hand.
bench: deps
	Benchmarks/burst.sh
	Benchmarks/large.sh
	Benchmarks/idle.sh

# 100 lp jobs of 100 KB through a private cupsd (as root): the backend against a `cat > file` backend.
bench-cups: deps
	Benchmarks/cups/handoff-benchmark.sh 100 100 3

deb: deps
	packaging/build-deb.sh

clean:
	rm -rf .build .build-release

# Build, install, check, remove and purge the .deb on this machine (root on Debian; skips otherwise).
test-deb: deps
	packaging/test-deb.sh
