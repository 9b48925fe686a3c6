# Natter's two commands: `make dev` (set up, build, run) and `make test` (set up, run
# every test). Tool versions are pinned in tools.mk and package.json.
include tools.mk

PORT ?= 8787
WRANGLER := node_modules/.bin/wrangler
export WRANGLER_SEND_METRICS := false
export WRANGLER_HIDE_BANNER := true
export CLOUDFLARE_CF_FETCH_ENABLED := false

.PHONY: setup build dev test test-native test-wasm test-types test-e2e test-deploy bench soak deploy clean

setup:
	@scripts/setup.sh

build: setup
	@scripts/build.sh

dev: build
	@printf '\n  Demo host page    http://127.0.0.1:$(PORT)/\n  Loader            http://127.0.0.1:$(PORT)/natter.js\n  Operator console  http://127.0.0.1:$(PORT)/console/  (demo@natter.dev / natter-demo)\n\n'
	$(WRANGLER) dev --ip 127.0.0.1 --port $(PORT) --inspector-ip 127.0.0.1 --show-interactive-dev-session=false

test: build
	@scripts/setup.sh --test
	$(MAKE) --no-print-directory test-native test-wasm test-types test-deploy test-e2e

test-native:
	cargo test --workspace

test-wasm:
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=60 WASM_BINDGEN_TEST_WEBDRIVER_JSON=$(CURDIR)/widget/webdriver.json \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	cargo test --target wasm32-unknown-unknown -p natter-widget

# natter.d.ts against a page's use of every method and event (TypeScript from npm).
test-types:
	node_modules/.bin/tsc -p tests/types

# `wrangler deploy` cannot reach Cloudflare here, but a dry run checks the bundle.
test-deploy:
	$(WRANGLER) deploy --dry-run --outdir target/deploy-dry-run

test-e2e:
	node --test --test-concurrency=1 tests/

bench: build
	node tests/bench/run.mjs

# The fault test for 10 minutes with a relay restart every 12 s (≥ 50).
soak: build
	NATTER_SOAK_SECONDS=600 NATTER_SOAK_RESTARTS=50 node --test --test-timeout=1200000 tests/faults.test.mjs

deploy: build
	$(WRANGLER) deploy

clean:
	rm -rf dist edge/build target/deploy-dry-run target/natter-build
