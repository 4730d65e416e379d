# ccbench: the two commands are `make bench` and `make test` (see README.md).
# This file is a thin front end over CMake presets; all build logic lives in
# CMakeLists.txt.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian packages the project needs, and nothing else.
PACKAGES := g++ cmake make git \
	libboost1.81-dev libboost-fiber1.81-dev libboost-context1.81-dev \
	libtbb-dev libbenchmark-dev libgtest-dev nlohmann-json3-dev libcli11-dev \
	python3 python3-matplotlib python3-numpy python3-uvloop

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FULL ?=
RUN ?= results/latest

.PHONY: help deps build test bench plot sanitize clean

help:
	@echo "make bench      build (Release) and run the default suite into results/<run-id>/"
	@echo "make bench FULL=1   the long sweep"
	@echo "make test       build with tests and run ctest (C++ and plot tests)"
	@echo "make build      Release binaries: build/ccbench, build/ccbench-micro"
	@echo "make deps       install missing Debian packages (as root), else print the apt-get line"
	@echo "make plot RUN=results/<id>   redraw charts and report.md from a run directory"
	@echo "make sanitize   the test suite under ASan+UBSan, then TSan (build-asan/, build-tsan/)"
	@echo "make clean      remove build directories"

deps:
	@missing=""; \
	for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "make deps: missing Debian packages. Run this, then try again:"; \
	  echo "  sudo apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi

# Release build: build/ccbench and build/ccbench-micro (results are taken with this).
build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# Tests: the same Release tree with the test suites, then ctest (C++ and plot tests).
test: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@ctest --preset release -j $(JOBS)

# The default suite into results/<run-id>/, the microbenchmarks beside it
# (micro.json), then the charts and report.
MICRO_TIME := $(if $(FULL),0.5,0.05)
bench: build
	@id=$$(date -u +%Y%m%d-%H%M%S); \
	./build/ccbench sweep bench $(if $(FULL),--full,) --out results/$$id; rc=$$?; \
	if [ -d results/$$id ]; then \
	  echo "ccbench-micro: the price of each model's primitives (about 30 s)..."; \
	  $(if $(FULL),,CCBENCH_MICRO_QUICK=1) ./build/ccbench-micro --benchmark_min_time=$(MICRO_TIME) --benchmark_out_format=json \
	    --benchmark_min_warmup_time=0.02 --benchmark_out=results/$$id/micro.json >/dev/null || rc=1; \
	fi; \
	if [ -f results/$$id/results.json ]; then \
	  $(MAKE) --no-print-directory plot RUN=results/$$id || rc=1; \
	  echo "Results: results/$$id (results/latest points there): report.md, report.html, charts/"; \
	fi; \
	exit $$rc

plot:
	@py=$$(for p in /usr/bin/python3 python3; do \
	    command -v $$p >/dev/null && MPLBACKEND=Agg $$p -c 'import matplotlib, numpy' 2>/dev/null && { echo $$p; break; }; \
	  done); \
	if [ -z "$$py" ]; then echo "make plot: no python3 with matplotlib and numpy (run make deps)"; exit 1; fi; \
	MPLBACKEND=Agg $$py plot/report.py "$(RUN)"

# Sanitizer builds of the whole test suite (ASan+UBSan, then TSan on the models it is clean on).
sanitize: deps
	@cmake --preset asan >/dev/null && cmake --build --preset asan -j $(JOBS) && ctest --preset asan -j $(JOBS)
	@cmake --preset tsan >/dev/null && cmake --build --preset tsan -j $(JOBS) && ctest --preset tsan -j $(JOBS)

clean:
	rm -rf build build-asan build-tsan
