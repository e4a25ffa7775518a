# hotspotd: `make run` starts the daemon with development defaults, `make test` runs every test.
# Both install what they need first (npm packages; Debian packages where a test needs them).

DEV_DIR := .dev
DEV_CONFIG := $(DEV_DIR)/hotspotd.config

.PHONY: all build run run-relay test deps debs typecheck clean ipk bench soak

all: build

node_modules/.package-lock.json: package.json
	npm ci --no-fund --no-audit
	@touch $@

deps: node_modules/.package-lock.json

# Debian packages the tests drive for real: openNDS (with the firewall tools it calls) in
# network namespaces, curl for the guests, and Chromium, in which playwright-core drives the
# portal's sign-in page; busybox, whose ash is OpenWrt's /bin/sh, for the package's scripts.
# Installed when missing and we are root; without root the tests that need them say so and are
# skipped. openssl makes the throwaway CAs and certificates of the cloud endpoint's tests and of
# make run-relay; haproxy is the load balancer in front of two relays in
# test/integration/relay-haproxy.ts, run with the shipped deploy/relay/haproxy.cfg.
DEB_PACKAGES := opennds nftables iptables curl chromium busybox openssl haproxy
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

# One node build.mjs makes both bundles, the daemon and the relay (src/relay/, not in the ipk),
# and the admin panel's browser files in dist/admin/ (from src/admin/ui/, with .gz siblings).
ADMIN_FILES := dist/admin/index.html dist/admin/app.js dist/admin/app.css
dist/hotspotd.js dist/hotspotd-relay.js $(ADMIN_FILES) &: node_modules/.package-lock.json build.mjs $(shell find src -name '*.ts' -o -name '*.css' -o -name '*.html' 2>/dev/null) package.json
	node build.mjs

build: dist/hotspotd.js dist/hotspotd-relay.js $(ADMIN_FILES)

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

# make run-relay: the cloud API endpoint's relay for *.relay.localhost on 127.0.0.1:8443, with a
# throwaway CA and wildcard certificate, a secret and an enrollment key made once by openssl in
# .dev/relay/ (for development only: the CA's key lies beside it).
RELAY_DIR := $(DEV_DIR)/relay
RELAY_DOMAIN := relay.localhost
RELAY_LISTEN := 127.0.0.1:8443
EC_KEY := -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes

$(RELAY_DIR)/cert.pem:
	@mkdir -p $(RELAY_DIR)
	@umask 077; cd $(RELAY_DIR) && \
	  openssl req -x509 $(EC_KEY) -keyout ca-key.pem -out ca.pem -days 825 -subj '/CN=hotspotd make run-relay CA' \
	    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null && \
	  openssl req $(EC_KEY) -keyout key.pem -out cert.csr -subj '/CN=$(RELAY_DOMAIN)' 2>/dev/null && \
	  printf '%s\n' 'subjectAltName=DNS:$(RELAY_DOMAIN),DNS:*.$(RELAY_DOMAIN)' 'basicConstraints=critical,CA:FALSE' \
	    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > cert.ext && \
	  openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca-key.pem -set_serial 0x$$(openssl rand -hex 8) -days 825 \
	    -extfile cert.ext -out cert.pem 2>/dev/null && \
	  openssl rand -hex 32 > secret && openssl rand -hex 16 > enroll-key
	@echo "make: made a throwaway CA, a certificate for $(RELAY_DOMAIN) and *.$(RELAY_DOMAIN), a secret and an enrollment key in $(RELAY_DIR)/"

run-relay: build $(RELAY_DIR)/cert.pem
	@printf '%s\n' \
	  "The relay serves https://<id>.$(RELAY_DOMAIN):8443/api/ on $(RELAY_LISTEN); its CA is $(CURDIR)/$(RELAY_DIR)/ca.pem." \
	  "Point make run's daemon at it: add to $(DEV_CONFIG), then restart make run (it enrolls and logs its endpoint)" \
	  "" \
	  "config cloud 'cloud'" \
	  "	option enabled '1'" \
	  "	option relay 'wss://$(RELAY_DOMAIN):8443'" \
	  "	option relay_address '127.0.0.1'" \
	  "	option ca_file '$(CURDIR)/$(RELAY_DIR)/ca.pem'" \
	  "	option enroll_key '$$(cat $(RELAY_DIR)/enroll-key)'" \
	  "" \
	  "Or give a router a credential instead of the enrollment key:" \
	  "  node dist/hotspotd-relay.js credential --secret-file $(RELAY_DIR)/secret" \
	  "Then, with <id> from the daemon's log:" \
	  "  curl --resolve <id>.$(RELAY_DOMAIN):8443:127.0.0.1 --cacert $(RELAY_DIR)/ca.pem -d api-key=KEY -d action=get_voucher_users https://<id>.$(RELAY_DOMAIN):8443/api/" \
	  ""
	node dist/hotspotd-relay.js --domain $(RELAY_DOMAIN) --listen $(RELAY_LISTEN) --cert $(RELAY_DIR)/cert.pem --key $(RELAY_DIR)/key.pem \
	  --secret-file $(RELAY_DIR)/secret --enroll-key-file $(RELAY_DIR)/enroll-key

# The OpenWrt package, architecture 'all' (JavaScript and WebAssembly): dist/hotspotd_<ver>_all.ipk.
ipk: build
	node openwrt/build-ipk.mjs

run: build $(DEV_CONFIG)
	node dist/hotspotd.js --config $(DEV_CONFIG) --state-dir $(DEV_DIR) --listen 127.0.0.1:8080

# The admin panel's browser code has a tsconfig of its own (DOM types); the root one excludes it.
typecheck: deps
	npx tsc -p .
	npx tsc -p src/admin/ui

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
