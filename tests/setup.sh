#!/usr/bin/env bash
# The install steps of scripts/env.sh, run on a machine that has none of the
# tools: a throw-away HOME and root, a PATH of stubs that record how they were
# called, as root and as a user with sudo. Fails if a step would not install
# what is missing, would install what is present, or calls a tool wrongly
# (as the `$SUDO DEBIAN_FRONTEND=... apt-get` of an earlier version did).
set -euo pipefail
REAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fails=0

# A copy of what env.sh reads: itself and the pinned wasm-bindgen version.
mkdir -p "$work/root/scripts" "$work/root/crates/app" "$work/root/tests"
cp "$REAL_ROOT/scripts/env.sh" "$work/root/scripts/"
cp "$REAL_ROOT/crates/app/Cargo.toml" "$work/root/crates/app/"
bindgen="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' "$REAL_ROOT/crates/app/Cargo.toml")"

# bin/: the few real tools env.sh itself needs, then stubs. Each stub appends
# "name args" to calls.log; `id -u` answers $FAKE_UID; the version stubs
# answer what $FAKE_INSTALLED says is installed.
bin="$work/bin"
mkdir -p "$bin"
for tool in bash env sed grep dirname cat mkdir printf rm; do
  ln -s "$(command -v "$tool")" "$bin/$tool"
done
stub() {
  printf '#!%s\necho "%s $*" >> "$CALLS"\n%s\n' "$(command -v bash)" "$1" "${2:-}" > "$bin/$1"
  chmod +x "$bin/$1"
}
stub apt-get
stub id 'echo "$FAKE_UID"'
stub cargo
stub npm
stub rustup 'case "$FAKE_INSTALLED" in *wasm-target*) echo wasm32-unknown-unknown;; esac'
stub trunk 'case "$FAKE_INSTALLED" in *trunk*) echo "trunk 0.21.14";; *) exit 127;; esac'
stub wasm-bindgen "case \"\$FAKE_INSTALLED\" in *bindgen*) echo \"wasm-bindgen $bindgen\";; *) exit 127;; esac"
# sudo's stub logs, then runs the rest as given.
stub sudo 'exec "$@"'

# run NAME UID INSTALLED FUNCTION: call one set-up function in a clean env.
run() {
  local name="$1"
  : > "$work/calls.log"
  if ! env -i PATH="$bin" HOME="$work/home" CALLS="$work/calls.log" FAKE_UID="$2" \
      FAKE_INSTALLED="$3" LVP_ICD="$work/no-such-icd.json" TERM=dumb \
      bash -c "source '$work/root/scripts/env.sh'; $4" > "$work/out.log" 2>&1; then
    echo "setup test '$name': $4 failed:" >&2
    cat "$work/out.log" >&2
    fails=$((fails + 1))
  fi
}
expect() {
  if ! grep -qxF -- "$2" "$work/calls.log"; then
    echo "setup test '$1': expected the call '$2', got:" >&2
    sed 's/^/    /' "$work/calls.log" >&2
    fails=$((fails + 1))
  fi
}
expect_none() {
  if grep -q -- "$2" "$work/calls.log"; then
    echo "setup test '$1': did not expect a call matching '$2', got:" >&2
    sed 's/^/    /' "$work/calls.log" >&2
    fails=$((fails + 1))
  fi
}

packages="install -y -qq chromium mesa-vulkan-drivers shellcheck"
run "packages as root" 0 "" ensure_system_packages
expect "packages as root" "apt-get update -qq"
expect "packages as root" "apt-get $packages"
expect_none "packages as root" "^sudo"

run "packages as a user" 1000 "" ensure_system_packages
expect "packages as a user" "sudo apt-get update -qq"
expect "packages as a user" "sudo env DEBIAN_FRONTEND=noninteractive apt-get $packages"
expect "packages as a user" "apt-get $packages"

run "web tools missing" 1000 "" ensure_web_tools
expect "web tools missing" "rustup target add wasm32-unknown-unknown"
expect "web tools missing" "cargo install --locked trunk --version 0.21.14"
expect "web tools missing" "cargo install wasm-bindgen-cli --version $bindgen"
expect "web tools missing" "npm ci --no-audit --no-fund"
expect_none "web tools missing" "^sudo"

mkdir -p "$work/root/tests/node_modules/.bin" "$work/root/tests/node_modules/playwright-core"
touch "$work/root/tests/node_modules/.bin/wasm-opt"
chmod +x "$work/root/tests/node_modules/.bin/wasm-opt"
run "web tools present" 1000 "wasm-target trunk bindgen" ensure_web_tools
expect_none "web tools present" "^cargo\|^npm\|target add"

if [ "$fails" -gt 0 ]; then
  echo "tests/setup.sh: $fails failure(s)" >&2
  exit 1
fi
echo "tests/setup.sh: system packages as root and as a user, web tools missing and present: all install steps as expected"
