#!/usr/bin/env bash
# The one test command (README, CI): bootstrap, static checks, unit tests, then integration
# tests against the real servers. Ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
# Tests run on Node.js 24, as the services do (installed by the bootstrap when node is older).
# shellcheck source=scripts/node.sh
source scripts/node.sh
echo "== node $(node -v)"

reports=$(mktemp -d)
status=0
failed_steps=()
run_step() {
  local name=$1
  echo "== $name"
  shift
  "$@" || { status=1; failed_steps+=("$name"); }
}
run_step "typecheck" pnpm -s typecheck
run_step "lint" pnpm -s lint
# docker-compose.yml as Docker Compose v2 reads it (compose built once from the Go module proxy).
run_step "compose file (docker compose v2 config)" pnpm -s auditflow compose check
# Every package's src/ into its dist/ (tsc -b): the services the tests start run from there.
run_step "build" pnpm -s build
run_step "unit tests" pnpm exec vitest run --project unit \
  --reporter=default --reporter=json --outputFile.json="$reports/unit.json"
if [ "$status" -eq 0 ]; then
  run_step "integration and end-to-end tests (real Kafka, registry, Elasticsearch, S3)" \
    pnpm exec vitest run --project integration --project e2e \
    --reporter=default --reporter=json --outputFile.json="$reports/integration.json"
else
  echo "== integration tests not run: the steps above failed"
fi
node scripts/summarize-tests.mjs "$reports"/*.json
[ ${#failed_steps[@]} -eq 0 ] || echo "failed steps: ${failed_steps[*]}"
rm -rf "$reports"
exit "$status"
