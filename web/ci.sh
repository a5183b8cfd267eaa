#!/usr/bin/env bash
# Everything CI checks for the web clients, from a clean clone: installs Chromium and the npm
# packages the lockfile pins when they are missing, checks that web/vendor/ holds exactly what
# the lockfile installs, type-checks the JavaScript, builds the debug `paycode` binary, and runs
# the JavaScript tests (the codec against the Rust vectors, the wallet's pieces, and the browser
# tests against a real `paycode serve`). Any failure stops it with a non-zero status; nothing
# is skipped. (The Rust side of the vectors, crates/codec/tests/web_vectors.rs, runs with
# `cargo test`.)
set -euo pipefail
cd "$(dirname "$0")"

need_apt_update=1
apt_install() {
    if [ "$need_apt_update" = 1 ]; then
        apt-get update -qq
        need_apt_update=0
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "== installing Node.js"
    apt_install nodejs npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
    echo "Node.js 20 or later is needed (WebCrypto as globalThis.crypto); found $(node --version)" >&2
    exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Chromium"
    apt_install chromium
fi

echo "== npm ci (web/)"
npm ci --no-audit --no-fund

echo "== vendored libraries match package-lock.json"
node scripts/vendor.mjs --check

echo "== tsc --checkJs"
npx tsc -p jsconfig.json
npx tsc -p jsconfig.worker.json

echo "== cargo build -p paycode-cli (the binary the browser tests start)"
(cd .. && cargo build -p paycode-cli)

echo "== node --test"
node --test --test-concurrency=1 test/*.test.js
