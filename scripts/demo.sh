#!/usr/bin/env bash
# `npm run demo`: starts the private databases, loads Sakila into MariaDB, and migrates it live to
# PostgreSQL with a writer changing the source the whole time; prints the conversion, the progress,
# the verification and the switch report.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash test/db/start.sh
node esbuild.mjs >/dev/null 2>&1 || node esbuild.mjs
exec node --import tsx scripts/demo.ts "$@"
