#!/usr/bin/env bash
# Installs whatever is missing for building (and, with --test, for testing) Natter.
# Idempotent and quick when everything is there. Versions come from tools.mk.
set -euo pipefail
cd "$(dirname "$0")/.."

pin() { sed -n "s/^$1 := //p" tools.mk; }
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust with rustup first" >&2
  exit 1
fi

target=$(pin RUST_TARGET)
if ! rustup target list --installed | grep -qx "$target"; then
  say "adding the Rust target $target"
  rustup target add "$target"
fi

# The build tools are compiled without optimisation (`--debug`): on a new machine that
# takes about 4 minutes instead of 8¾ (BENCHMARKS.md); they run for seconds either way,
# and what they write does not depend on how they were compiled.
# cargo_tool BINARY CRATE VERSION [--locked]
cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  if ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    say "installing $crate $version"
    cargo install "$crate" --version "$version" --debug --force "$@"
  fi
}
# wasm-bindgen-cli without --locked: it must build against its own exact version.
cargo_tool wasm-bindgen wasm-bindgen-cli "$(pin WASM_BINDGEN_VERSION)"
cargo_tool worker-build worker-build "$(pin WORKER_BUILD_VERSION)" --locked
# wasm-split-cli has no --version: cargo's list of what it installed says.
split_version=$(pin WASM_SPLIT_VERSION)
if ! command -v wasm-split-cli >/dev/null || ! cargo install --list | grep -qx "wasm_split_cli_support v$split_version:"; then
  say "installing wasm_split_cli_support $split_version"
  cargo install wasm_split_cli_support --version "$split_version" --features build-binary --locked --debug --force
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# Local settings, never deployed: random secrets, the dev organisation, sign-up open,
# e-mail on (wrangler dev writes messages to files). Each missing line is added, so an
# older .dev.vars gets the new ones.
random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
dev_var() {
  grep -q "^$1=" .dev.vars 2>/dev/null || { say "adding $1 to .dev.vars"; printf '%s=%s\n' "$1" "$2" >> .dev.vars; }
}
dev_var TOKEN_SECRET "$(random_hex)"
dev_var BOOTSTRAP_SECRET "$(random_hex)"
dev_var NATTER_DEV 1
dev_var SIGNUP open
dev_var MAIL_FROM natter@natter.dev

if [ "${1:-}" = "--test" ]; then
  missing=()
  for pkg in $(pin APT_TEST_PACKAGES); do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
  fi
fi
