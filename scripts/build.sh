#!/usr/bin/env bash
# Builds everything in release into dist/ (served by [assets]) and edge/build/ (the
# Worker). Run through `make build`, after scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
wasm_dir=target/wasm32-unknown-unknown/release
# The features rustc's wasm32 target emits today; wasm-opt must accept them all.
wasm_features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

cargo build --release --target wasm32-unknown-unknown -p natter-widget -p natter-console

rm -rf dist.tmp
mkdir -p dist.tmp/widget dist.tmp/console/pkg
cp -R www/static/. dist.tmp/
"$ESBUILD_BIN" widget/loader.js --bundle --format=iife --loader:.css=text --minify --log-level=warning --outfile=dist.tmp/natter.js

# bindgen NAME OUT_DIR
bindgen() {
  wasm-bindgen --target web --no-typescript --out-dir "$2" "$wasm_dir/$1.wasm"
  "$WASM_OPT_BIN" -Oz --converge --merge-similar-functions --strip-producers --strip-target-features "${wasm_features[@]}" "$2/$1_bg.wasm" -o "$2/$1_bg.wasm"
  # Bundled: the glue's JS snippets (the widget's src/api.js) go into the one file.
  "$ESBUILD_BIN" "$2/$1.js" --bundle --minify --format=esm --log-level=warning --allow-overwrite --outfile="$2/$1.js"
  rm -rf "$2/snippets"
}
bindgen natter_widget dist.tmp/widget
bindgen natter_console dist.tmp/console/pkg
rm -rf dist && mv dist.tmp dist

(cd edge && worker-build --release)
