#!/usr/bin/env bash
# `npm test`: type-check, lint, build, then unit + integration tests against the private databases (started
# here, stopped after unless FERRY_KEEP_DB=1), then the fault suite on small data, then the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! bash test/db/start.sh; then echo "test databases failed to start" >&2; exit 1; fi
cleanup() { if [ "${FERRY_KEEP_DB:-0}" != 1 ]; then bash test/db/stop.sh || true; fi; }
trap cleanup EXIT
step() { echo; echo "==> $*"; }
step "type-check";  npx tsc --noEmit -p .
step "lint";        npx eslint --max-warnings=0 src webview test
step "build";       node esbuild.mjs
step "unit + integration tests"
node --import tsx --test --test-concurrency=2 --test-reporter=spec test/unit/*.test.ts test/integration/*.test.ts
if ls test/faults/*.test.ts >/dev/null 2>&1; then
  step "fault suite (small data)"
  node --import tsx --test --test-concurrency=1 --test-reporter=spec test/faults/*.test.ts
fi
if [ -f test/e2e/run.ts ] && [ "${FERRY_SKIP_E2E:-0}" != 1 ]; then
  step "e2e suite"
  npm run --silent test:e2e
fi
