# hotspotd: `make run` starts the daemon with development defaults, `make test` runs every test.
# Both install what they need first (npm packages; Debian packages where a test needs them).

DEV_DIR := .dev
DEV_CONFIG := $(DEV_DIR)/hotspotd.config

.PHONY: all build run test deps debs typecheck clean ipk bench soak

all: build

node_modules/.package-lock.json: package.json
	npm ci --no-fund --no-audit
	@touch $@

deps: node_modules/.package-lock.json

# Debian packages the tests drive for real: openNDS (with the firewall tools it calls) in
# network namespaces, curl for the guests, and Chromium, in which playwright-core drives the
# portal's sign-in page; busybox, whose ash is OpenWrt's /bin/sh, for the package's scripts.
# Installed when missing and we are root; without root the tests that need them say so and are
# skipped.
DEB_PACKAGES := opennds nftables iptables curl chromium busybox
# make bench compares the big list with Debian's sqlite3 shell.
BENCH_DEB_PACKAGES := sqlite3

# $(call install-debs,PACKAGES): apt-get the missing ones when root, else say what is missing.
define install-debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else echo "make: not root, so not installing$$missing; what needs them is skipped"; fi
endef

debs:
	$(call install-debs,$(DEB_PACKAGES))

# One esbuild run makes both bundles: the daemon and the relay (src/relay/, not in the ipk).
dist/hotspotd.js dist/hotspotd-relay.js &: node_modules/.package-lock.json build.mjs $(shell find src -name '*.ts' 2>/dev/null) package.json
	node build.mjs

build: dist/hotspotd.js dist/hotspotd-relay.js

# Development defaults: state under ./.dev/, API on with GET and POST, a key generated and shown
# on the first start, listening on 127.0.0.1:8080, no captive portal.
$(DEV_CONFIG):
	@mkdir -p $(DEV_DIR)
	@printf '%s\n' \
	  "config hotspotd 'main'" \
	  "	option state_dir '$(DEV_DIR)'" \
	  "	option default_valid_for '1 day'" \
	  "	option backend 'none'" \
	  "" \
	  "config api 'api'" \
	  "	option enabled '1'" \
	  "	option post '1'" \
	  "	option get '1'" \
	  "	option key ''" \
	  "	option port '8080'" > $@

# The OpenWrt package, architecture 'all' (JavaScript and WebAssembly): dist/hotspotd_<ver>_all.ipk.
ipk: build
	node openwrt/build-ipk.mjs

run: build $(DEV_CONFIG)
	node dist/hotspotd.js --config $(DEV_CONFIG) --state-dir $(DEV_DIR) --listen 127.0.0.1:8080

typecheck: deps
	npx tsc -p .

test: debs build typecheck
	npx tap

# Benchmarks against their baselines, side by side (see bench/): prints each figure and writes
# bench/RESULTS.md. Not part of make test. `make bench BENCH=api` runs the matching ones only.
bench: build
	$(call install-debs,$(DEB_PACKAGES) $(BENCH_DEB_PACKAGES))
	node bench/run.mjs $(BENCH)

# The long forms of the reliability tests (minutes each; make test runs their quick forms).
soak: debs build
	HOTSPOTD_SOAK=1 npx tap --timeout=3600 --disable-coverage test/integration/reliability-*.ts

clean:
	rm -rf dist $(DEV_DIR)
