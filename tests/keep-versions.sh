#!/usr/bin/env bash
# scripts/keep-versions on made-up deploys: each deploy keeps the earlier
# versions' v/<hash>/ folders beside its own, drops those not live for DAYS
# or beyond the MOST newest, and refuses a site that names no version. (The
# browser check that an old tab keeps working is in tests/e2e.mjs.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
keep="$root/scripts/keep-versions"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A built site of version $1 in folder $2.
site() {
  mkdir -p "$2/v/$1"
  printf '<html><head>\n    <meta name="upbringing-assets" content="v/%s/" />\n</head></html>\n' "$1" >"$2/index.html"
  echo "worker of $1" >"$2/v/$1/worker.js"
}
fail() {
  echo "keep-versions test: $*" >&2
  exit 1
}

store="$work/store"
site aaaa "$work/a" && "$keep" "$store" "$work/a" >/dev/null
site bbbb "$work/b" && "$keep" "$store" "$work/b" >/dev/null
[[ "$(cat "$work/b/v/aaaa/worker.js")" == "worker of aaaa" ]] || fail "the earlier version is not beside the new one"
[[ ! -e "$work/b/v/aaaa/.live" && ! -e "$work/b/v/bbbb/.live" ]] || fail "stamps leaked into the site"

# Not live for 40 days: dropped at the next deploy. The version that deploy
# replaces was live until then, however long ago it was deployed: kept.
touch -d '40 days ago' "$store/aaaa/.live"
touch -d '39 days ago' "$store/bbbb/.live"
mkdir -p "$store/zzzz.partial"
site cccc "$work/c"
out="$("$keep" "$store" "$work/c" 30 8)"
[[ ! -e "$work/c/v/aaaa" && ! -e "$store/aaaa" ]] || fail "a version 40 days gone was kept: $out"
[[ -e "$work/c/v/bbbb/worker.js" ]] || fail "the version just replaced was dropped: $out"
[[ ! -e "$store/zzzz.partial" ]] || fail "a copy cut short stayed in the store"
[[ -e "$work/c/v/cccc/worker.js" ]] || fail "the live version went missing"

# At most MOST earlier versions, newest first.
for v in d1 d2 d3; do
  site "$v" "$work/$v" && "$keep" "$store" "$work/$v" 30 1 >/dev/null
  sleep 0.01
done
[[ -e "$work/d3/v/d2" && ! -e "$work/d3/v/d1" && ! -e "$work/d3/v/cccc" && ! -e "$work/d3/v/bbbb" ]] ||
  fail "MOST=1 kept $(ls "$work/d3/v")"

# A site that names no version is refused, saying why.
mkdir -p "$work/bad" && echo '<html><head></head></html>' >"$work/bad/index.html"
if err="$("$keep" "$store" "$work/bad" 2>&1)"; then fail "a site without a version was accepted"; fi
[[ "$err" == *"names no v/<hash>/"* ]] || fail "unclear refusal: $err"
echo "keep-versions: earlier deploys kept, aged and surplus ones dropped, a bad site refused"
