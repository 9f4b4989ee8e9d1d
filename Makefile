# The README's commands. `make run` serves www/ with the most complete step;
# `make test` installs what is missing, builds everything and runs every test.

PRESET ?= default
BUILD  := build/$(PRESET)
PORT   ?= 8080
# The last step that exists is the most complete one.
LATEST := $(lastword $(sort $(wildcard step0*-*)))

.PHONY: all build run test test-asan test-tsan deps clean generate

all: build

deps:
	@tools/install-deps

build: deps
	cmake --preset $(PRESET)
	cmake --build --preset $(PRESET) -j2

run: build
	@echo "serving www/ with $(LATEST) (Ctrl-C stops it)"
	$(BUILD)/$(LATEST)/httpd --root www --port $(PORT)

# The test command also runs the benchmark harness once, in its quick mode
# (ctest's bench.quick), so it needs the anchors; matplotlib (plots only) is
# left to `make bench`.
BENCH_DEPS := wrk nginx lighttpd libmicrohttpd-dev pkg-config gcc strace util-linux

test: build
	@tools/install-deps $(BENCH_DEPS)
	ctest --preset $(PRESET)

# The same suite under the sanitizers (see README, "Sanitizers").
test-asan:
	$(MAKE) test PRESET=asan
test-tsan:
	$(MAKE) test PRESET=tsan

# Rewrite what is generated from the sources: the diff in each chapter and
# the capability matrix. The test command fails when either is stale.
generate:
	tools/stepdiff
	/usr/bin/python3 tools/capability-matrix

clean:
	rm -rf build

# libFuzzer targets, built with clang++ into build/fuzz/ (fuzz/README.md,
# docs/security.md). `make fuzz` runs each target 60 s, `make fuzz-smoke` 10 s.
.PHONY: fuzz fuzz-smoke
fuzz:
	fuzz/run
fuzz-smoke:
	fuzz/run --smoke

# The soak (tools/README.md, docs/security.md): minutes of mixed load on one
# server, then its descriptors, threads and children must be back to their
# start and its memory must not have grown. `make soak` runs the latest step
# for 180 s; STEP=3 and DURATION=60 change that.
.PHONY: soak
soak: build
	/usr/bin/python3 tools/soak --build-dir $(BUILD) $(if $(STEP),--step $(STEP)) \
		$(if $(DURATION),--duration $(DURATION))

# The benchmark (bench/README.md): every step against libmicrohttpd, nginx
# and lighttpd on loopback. `make bench` is the full run (under 10 minutes),
# `make bench-quick` the short one that checks the harness (under 2).
.PHONY: bench bench-quick
bench:
	bench/run
bench-quick:
	bench/run --quick --out build/bench-quick
