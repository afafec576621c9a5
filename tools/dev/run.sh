#!/usr/bin/env bash
# The one entry point behind the README's commands (`npm test`, `npm run quickstart`) and .ci/run.
# It makes a fresh machine ready first: a supported Node.js (when the one on PATH is older than
# 22.15, Node.js 24 from npm, or RUNNEL_NODE_LINE), the pinned pnpm, the workspace's packages, a
# build. So a newcomer needs nothing but some Node.js with npm, Java 17 and Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=tools/dev/node-env.sh
source "$root/tools/dev/node-env.sh"

runnel_use_supported_node
pnpm_version="$(node -p "require('./package.json').packageManager.split('@')[1]")"

ensure_ready() {
  # .ci/run installs and builds once, then runs suites side by side: a second install or build (turbo
  # rewrites dist/ from its cache) would race with the suite already running.
  if [ -n "${RUNNEL_READY:-}" ]; then return 0; fi
  runnel_ensure_pnpm "$pnpm_version"
  # Fast when nothing changed; installs on a fresh clone.
  pnpm install --frozen-lockfile --prefer-offline >&2
  pnpm build >&2
}

# With RUNNEL_REPORT_DIR set, each vitest run also writes a JSON report there (`npm test`'s is named
# RUNNEL_REPORT_NAME, default main); .ci/run adds them up into its closing `N passed, N failed` line.
report_args() {
  if [ -n "${RUNNEL_REPORT_DIR:-}" ]; then
    mkdir -p "$RUNNEL_REPORT_DIR"
    echo "--reporter=default --reporter=json --outputFile.json=$RUNNEL_REPORT_DIR/$1.json"
  fi
}

# Integration test files that must also pass on Kafka 3.9.x; the harness also runs on 3 nodes.
matrix_k39=(tools/kafka packages/protocol packages/network packages/consumer apps/examples)
matrix_n3=(tools/kafka packages/network)

# The given folders that hold integration tests (a package may not have any yet).
existing() {
  for p in "$@"; do
    if [ -d "$p/src" ] && find "$p/src" -name '*.int.test.ts' | grep -q .; then echo "$p"; fi
  done
}

cmd="${1:-test}"
shift || true
case "$cmd" in
  test)
    ensure_ready
    # shellcheck disable=SC2046
    exec pnpm exec vitest run $(report_args "${RUNNEL_REPORT_NAME:-main}") "$@"
    ;;
  test-unit)
    ensure_ready
    # shellcheck disable=SC2046
    exec pnpm exec vitest run --project unit $(report_args unit) "$@"
    ;;
  test-matrix)
    # The integration tests that must also hold on Kafka 3.9.x and on a 3-node cluster; each run starts
    # its own broker(s) through the vitest global setup.
    ensure_ready
    status=0
    echo "runnel: integration tests on Kafka 3.9" >&2
    # shellcheck disable=SC2046
    KAFKA_VERSION=3.9 pnpm exec vitest run --project integration $(report_args kafka-3.9) $(existing "${matrix_k39[@]}") || status=1
    echo "runnel: integration tests on a 3-node cluster" >&2
    # shellcheck disable=SC2046
    KAFKA_NODES=3 pnpm exec vitest run --project integration $(report_args kafka-3-nodes) $(existing "${matrix_n3[@]}") || status=1
    exit $status
    ;;
  quickstart)
    ensure_ready
    exec node apps/examples/dist/quickstart.js "$@"
    ;;
  exec)
    # Runs a command with the supported Node.js first on PATH (nothing installed or built beyond it).
    exec "$@"
    ;;
  *)
    echo "usage: tools/dev/run.sh test|test-unit|test-matrix|quickstart|exec COMMAND..." >&2
    exit 2
    ;;
esac
