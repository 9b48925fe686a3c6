# Every tool version, pinned here. npm packages (wrangler, binaryen's wasm-opt,
# playwright-core, ws) are pinned exactly in package.json and locked in package-lock.json.
# The wasm-bindgen CLI must equal the `wasm-bindgen` crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION := 0.2.130
WORKER_BUILD_VERSION := 0.8.7
# wasm-split-cli, which splits the widget's Wasm into its parts (scripts/build.sh).
WASM_SPLIT_VERSION := 0.2.4
RUST_TARGET := wasm32-unknown-unknown
# Debian packages for the browser tests.
APT_TEST_PACKAGES := chromium chromium-driver
