# Orch: `make run` starts the product on its embedded default config,
# `make test` runs every test. Both install what is missing on a fresh Debian
# machine first (idempotent: a second run installs nothing).

SWIFT        ?= swift
CONFIG       ?= config/orch.toml
BUILD_FLAGS  ?=
# Debian packages the build and the tests need (checked one by one, installed only if missing).
APT_PACKAGES := pkg-config libsqlite3-dev libpq-dev postgresql-15 sqlite3 gcc \
                esbuild node-typescript nodejs libjs-marked node-dompurify libjs-highlight.js chromium iproute2
# Python packages the tests need, installed with pip when missing
# (claude-agent-sdk bundles the Claude Code CLI that ClaudeBackend drives; pinned
# because the backend tests assert the CLI's own error texts: 0.2.189 = CLI 2.1.332).
# playwright drives Debian's chromium in the browser tests (never `playwright install`);
# jsonschema validates captured messages against docs/schemas.
PIP_PACKAGES := claude-agent-sdk==0.2.189 playwright jsonschema

# Plugins written in C, built outside SwiftPM against the published header alone.
CC              ?= cc
C_PLUGIN_FLAGS  := -std=c11 -Wall -Wextra -Werror -O2 -g -fPIC -shared -fvisibility=hidden -pthread -I Sources/PluginAPI/C/include
UNIX_TRANSPORT  := .build/c-plugins/libUnixSocketTransport.so

.PHONY: run test test-one build deps bench bench-ui clean frontend test-frontend test-browser c-plugins format lint

run: deps build c-plugins frontend
	.build/debug/orch serve --config $(CONFIG)

# The browser console (frontend/dist), built with Debian's tsc and esbuild.
frontend:
	frontend/build.sh

test-frontend: frontend
	node --test frontend/tests/

# The console in Chromium against the real host (orch, its plugins, the Claude CLI on the loopback).
test-browser: frontend
	python3 -m pytest -q Tests/Browser

bench-ui: deps build frontend
	python3 Tests/Browser/bench_ui.py

build:
	$(SWIFT) build $(BUILD_FLAGS)

c-plugins: $(UNIX_TRANSPORT)

$(UNIX_TRANSPORT): $(wildcard Plugins/UnixSocketTransport/Sources/*.c Plugins/UnixSocketTransport/Sources/*.h) Sources/PluginAPI/C/include/orch_plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(C_PLUGIN_FLAGS) $(wildcard Plugins/UnixSocketTransport/Sources/*.c) -o $@.tmp && mv $@.tmp $@

test: deps c-plugins
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	# One suite at a time: the suites run real CLIs, servers and browsers, and on 2 cores
	# parallel suites starve each other into timeouts; serially the whole run takes ~2 minutes.
	$(TEST_BACKTRACE) $(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS)
	$(MAKE) test-frontend test-browser

# A crash in a test prints only the crashed thread's frames, so the end of a CI log
# (often all that is kept) still shows the fatal error and the tests that were running.
TEST_BACKTRACE := SWIFT_BACKTRACE=enable=yes,threads=crashed,registers=none,images=none,limit=40

# One Swift suite, or anything `swift test --filter` takes: `make test-one SUITE=StoreConformance`.
# Tests/README.md lists the suites.
test-one: deps c-plugins
	@if [ -z "$(SUITE)" ]; then echo "usage: make test-one SUITE=<suite name or --filter pattern>, e.g. SUITE=StoreConformance"; exit 2; fi
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(TEST_BACKTRACE) $(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS) --filter '$(SUITE)'

# The Swift code in the style .swift-format describes (swift-format ships with the toolchain).
SWIFT_SOURCES := Sources Plugins Tests

format:
	$(SWIFT) format --in-place --recursive --parallel $(SWIFT_SOURCES)

# What `make format` would change; advice, so it never fails the build.
lint:
	-$(SWIFT) format lint --recursive --parallel $(SWIFT_SOURCES)

bench: deps
	$(SWIFT) build -c release --product orch-bench
	$(SWIFT) build -c release
	.build/release/orch-bench $(BENCH)

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@for p in $(PIP_PACKAGES); do python3 -m pip show $${p%%[=<>]*} >/dev/null 2>&1 || python3 -m pip install -q $$p; done

clean:
	rm -rf .build frontend/dist frontend/.build-tests
