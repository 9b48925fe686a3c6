#!/usr/bin/env bash
# Builds everything in release into dist/ (served by [assets]) and edge/build/ (the
# Worker). Run through `make build`, after scripts/setup.sh.
#
# Incremental: each of the three Wasm products (widget, console, Worker) is rebuilt only
# when a fingerprint of what it is built from changed (the sources of its crates and of
# the crates it uses, Cargo.toml/lock, tool versions, the toolchain, this script). The
# static pages and the loader are cheap and always copied. A fresh clone has no
# fingerprints, so it builds everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
wasm_dir=target/wasm32-unknown-unknown/release
stamps=target/natter-build
# The features rustc's wasm32 target emits today; wasm-opt must accept them all.
wasm_features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# fingerprint DIR… : one hash of every file under the given folders and of everything
# else a build depends on.
fingerprint() {
  {
    find "$@" -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock tools.mk package-lock.json "$0"
    rustc -V
    printf '%s\n' "${RUSTFLAGS:-}"
  } | sha256sum | cut -d' ' -f1
}

# fresh NAME PRINT OUTPUT: the output exists and was built from these inputs.
fresh() { [ -e "$3" ] && [ "$(cat "$stamps/$1.print" 2>/dev/null)" = "$2" ]; }
stamp() { mkdir -p "$stamps" && printf '%s\n' "$2" > "$stamps/$1.print"; }

# bindgen NAME OUT_DIR
bindgen() {
  rm -rf "$2" && mkdir -p "$2"
  wasm-bindgen --target web --no-typescript --out-dir "$2" "$wasm_dir/$1.wasm"
  "$WASM_OPT_BIN" -Oz --converge --merge-similar-functions --strip-producers --strip-target-features "${wasm_features[@]}" "$2/$1_bg.wasm" -o "$2/$1_bg.wasm"
  # Bundled: the glue's JS snippets (the widget's src/api.js) go into the one file.
  "$ESBUILD_BIN" "$2/$1.js" --bundle --minify --format=esm --log-level=warning --allow-overwrite --outfile="$2/$1.js"
  rm -rf "$2/snippets"
}

# Built under target/ and copied into dist/ afterwards, so dist/ is never half-made.
# (The loader, widget/loader.js, is not part of the widget's Wasm: it is bundled below.)
widget_sources=(widget/src widget/Cargo.toml widget/build.rs widget/launcher.css)
widget_print=$(fingerprint shared "${widget_sources[@]}")
console_print=$(fingerprint shared "${widget_sources[@]}" www/src www/Cargo.toml)
edge_print=$(fingerprint shared edge)
packages=()
fresh widget "$widget_print" "$stamps/widget" || packages+=(-p natter-widget)
fresh console "$console_print" "$stamps/console" || packages+=(-p natter-console)
if [ ${#packages[@]} -gt 0 ]; then
  cargo build --release --target wasm32-unknown-unknown "${packages[@]}"
  if ! fresh widget "$widget_print" "$stamps/widget"; then
    say "widget: wasm-bindgen, wasm-opt"
    bindgen natter_widget "$stamps/widget"
    stamp widget "$widget_print"
  fi
  if ! fresh console "$console_print" "$stamps/console"; then
    say "console: wasm-bindgen, wasm-opt"
    bindgen natter_console "$stamps/console"
    stamp console "$console_print"
  fi
fi

rm -rf dist.tmp
mkdir -p dist.tmp/widget dist.tmp/console/pkg
cp -R www/static/. dist.tmp/
"$ESBUILD_BIN" widget/loader.js --bundle --format=iife --loader:.css=text --minify --log-level=warning --outfile=dist.tmp/natter.js
cp -R "$stamps/widget/." dist.tmp/widget/
cp -R "$stamps/console/." dist.tmp/console/pkg/
rm -rf dist && mv dist.tmp dist

if fresh edge "$edge_print" edge/build/index.js; then
  say "edge: unchanged"
else
  (cd edge && worker-build --release)
  stamp edge "$edge_print"
fi
