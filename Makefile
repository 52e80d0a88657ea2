# Open OTT. `make run` starts the service on its defaults; `make test` runs every test.
.PHONY: run test check bench bench-deps build

CARGO ?= cargo

run:
	$(CARGO) build --release -p receiver --bin oott-receiver
	@echo "Starting the receiver: it serves the site and the media itself (no nginx yet)."
	./target/release/oott-receiver

build:
	$(CARGO) build --workspace

test:
	$(CARGO) test --workspace

check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) test

bench-deps:
	cd bench/tus && npm ci --no-audit --no-fund

# Upload throughput against dd (sync every 64 MiB) and @tus/server; metadata cache latency.
bench: bench-deps
	$(CARGO) build --release -p receiver --bin oott-receiver --example upload_bench --example metadata_bench
	./target/release/examples/upload_bench $(BENCH_ARGS)
	./target/release/examples/metadata_bench
