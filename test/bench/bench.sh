#!/usr/bin/env bash
# `npm run bench`: starts a private MariaDB + PostgreSQL pair with the Debian packages' default settings (durable
# commits, default buffers; see FERRY_DB_PROFILE in test/db/start.sh) beside the test servers, runs the benchmark
# on it (arguments go to test/bench/run.ts), and stops it unless FERRY_KEEP_DB=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/bench/env.sh
bash test/db/start.sh
cleanup() { if [ "${FERRY_KEEP_DB:-0}" != 1 ]; then bash test/db/stop.sh || true; fi; }
trap cleanup EXIT
node esbuild.mjs >/dev/null
node --import tsx test/bench/run.ts "$@"
