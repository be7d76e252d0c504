# shellcheck shell=bash
# Shared set-up for scripts/serve and scripts/test (sourced, not run).
# Installs, only when missing: the wasm target, trunk and wasm-bindgen-cli
# (exact versions), and the npm tools in tests/ (wasm-opt, playwright-core).
# Nothing here downloads a browser or lets trunk fetch its own tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One build cache outside the clone, shared by every checkout on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/upbringing/target}"
TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version pinned in crates/app/Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$ROOT/crates/app/Cargo.toml")"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Build-time tools are compiled without LTO and with parallel codegen: they
# only need to be fast enough, and this cuts minutes off a fresh machine.
tool_install() {
  CARGO_TARGET_DIR="$HOME/.cache/upbringing/tools-target" \
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install "$@"
}

# Debian packages the tests need: a browser, Mesa's Vulkan (lavapipe), and
# ShellCheck. Uses sudo unless root (as root, sudo may not even exist).
LVP_ICD="${LVP_ICD:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json}"
ensure_system_packages() {
  local need=()
  command -v chromium >/dev/null || need+=(chromium)
  [ -e "$LVP_ICD" ] || need+=(mesa-vulkan-drivers)
  command -v shellcheck >/dev/null || need+=(shellcheck)
  [ ${#need[@]} -gt 0 ] || return 0
  log "installing ${need[*]} from Debian"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
}

ensure_web_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (a few minutes, once)"
    tool_install --locked trunk --version "$TRUNK_VERSION"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
    # Not --locked: its lockfile pins a webpki-roots release the index no longer offers.
    tool_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  if [ ! -x "$ROOT/tests/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/tests/node_modules/playwright-core" ]; then
    log "installing npm tools (binaryen's wasm-opt, playwright-core)"
    (cd "$ROOT/tests" && npm ci --no-audit --no-fund)
  fi
  export PATH="$ROOT/tests/node_modules/.bin:$HOME/.cargo/bin:$PATH"
}

build_page() {
  ensure_web_tools
  log "building the page (trunk, release)"
  (cd "$ROOT" && trunk build --release --offline)
  version_assets "$ROOT/dist"
}

# Trunk hashes the page's files but keeps the worker's names fixed and copies
# the precomputed results (and shipped trained prefixes) as they are: move those (and the snippets the
# worker imports) under v/<content hash>/ and name that folder in index.html,
# so a cached old worker or results file is never paired with a new page.
version_assets() {
  local dist="$1" hash
  hash="$(find "$dist/precomputed" -type f | sort | xargs cat "$dist/worker.js" "$dist/worker_bg.wasm" \
    "$dist"/snippets/*/src/*.js | sha256sum | cut -c1-16)"
  mkdir -p "$dist/v/$hash"
  mv "$dist/worker.js" "$dist/worker_bg.wasm" "$dist/precomputed" "$dist/v/$hash/"
  cp -r "$dist/snippets" "$dist/v/$hash/"
  sed -i "s|<head>|<head>\n    <meta name=\"upbringing-assets\" content=\"v/$hash/\" />|" "$dist/index.html"
  if ! grep -q "name=\"upbringing-assets\" content=\"v/$hash/\"" "$dist/index.html"; then
    echo "version_assets: could not name v/$hash/ in $dist/index.html (has trunk's <head> changed?)" >&2
    return 1
  fi
}
