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

optimize() { "$WASM_OPT_BIN" -Oz --strip-producers --strip-target-features "${wasm_features[@]}" "$@"; }

# bindgen NAME OUT_DIR [WASM] [wasm-bindgen options…]: into OUT_DIR, made empty first
# (or holding only the files the glue imports).
bindgen() {
  local name=$1 out=$2 wasm=${3:-$wasm_dir/$1.wasm}
  shift 3 || shift $#
  mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$@" "$wasm"
  optimize --converge --merge-similar-functions "$out/${name}_bg.wasm" -o "$out/${name}_bg.wasm"
  # Bundled: the glue's JS snippets (the widget's src/api.js) and the split parts'
  # loader go into the one file. (The glue names that loader once per part.)
  "$ESBUILD_BIN" "$out/$name.js" --bundle --minify --format=esm --log-level=warning --allow-overwrite \
    --log-override:duplicate-object-key=silent --outfile="$out/$name.js"
  rm -rf "$out/snippets" "$out/__wasm_split.js"
}

# The widget in parts (widget/src/parts.rs): linked with relocations kept, so that
# wasm-split-cli can move the code only a split point reaches into that part's file;
# then wasm-bindgen on the main module (keeping the exports the parts link to), and
# wasm-opt on every file. The result goes under a directory named by its content, so
# a page never mixes files of two builds and caches them for good.
split_widget() {
  local split=target/natter-split out=$stamps/widget.tmp
  cargo rustc -p natter-widget --lib --release --target wasm32-unknown-unknown --features split \
    -- -C link-args=--emit-relocs
  rm -rf "$split" && mkdir -p "$split"
  wasm-split-cli --target web --out-name natter_widget "$wasm_dir/natter_widget.wasm" "$split"
  # The parts' loader, imported by the main module's glue, is bundled with it.
  rm -rf "$out" && mkdir -p "$out" && cp "$split/__wasm_split.js" "$out/"
  bindgen natter_widget "$out" "$split/natter_widget.wasm" --keep-lld-exports
  local part
  for part in $(cd "$split" && ls split_*.wasm chunk_*.wasm 2>/dev/null); do
    # (wasm-split-cli's name sections have a kind wasm-opt does not know; stripped.)
    optimize --strip-debug "$split/$part" -o "$out/$part" 2> >(grep -v 'unknown name subsection' >&2)
  done
  local build
  build=$(cd "$out" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  rm -rf "$stamps/widget" && mkdir -p "$stamps/widget"
  mv "$out" "$stamps/widget/$build"
}

# Built under target/ and copied into dist/ afterwards, so dist/ is never half-made.
# (The loader, widget/loader.js, is not part of the widget's Wasm: it is bundled below.)
widget_sources=(widget/src widget/Cargo.toml widget/build.rs widget/launcher.css)
widget_print=$(fingerprint shared "${widget_sources[@]}")
console_print=$(fingerprint shared "${widget_sources[@]}" www/src www/Cargo.toml)
edge_print=$(fingerprint shared edge)
packages=()
if ! fresh widget "$widget_print" "$stamps/widget"; then
  say "widget: cargo, wasm-split-cli, wasm-bindgen, wasm-opt"
  split_widget
  stamp widget "$widget_print"
fi
if ! fresh console "$console_print" "$stamps/console"; then
  cargo build --release --target wasm32-unknown-unknown -p natter-console
  say "console: wasm-bindgen, wasm-opt"
  rm -rf "$stamps/console"
  bindgen natter_console "$stamps/console"
  stamp console "$console_print"
fi

rm -rf dist.tmp
mkdir -p dist.tmp/widget dist.tmp/console/pkg
cp -R www/static/. dist.tmp/
# The loader names the widget's build directory.
widget_build=$(basename "$stamps"/widget/*/)
"$ESBUILD_BIN" widget/loader.js --bundle --format=iife --loader:.css=text --minify --log-level=warning \
  --define:WIDGET_BUILD="'$widget_build'" --outfile=dist.tmp/natter.js
cp -R "$stamps/widget/." dist.tmp/widget/
cp -R "$stamps/console/." dist.tmp/console/pkg/
rm -rf dist && mv dist.tmp dist

if fresh edge "$edge_print" edge/build/index.js; then
  say "edge: unchanged"
else
  (cd edge && worker-build --release)
  stamp edge "$edge_print"
fi
