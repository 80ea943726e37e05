#!/usr/bin/env bash
# The fleet benchmark (bench/README.md, "A fleet"): jobs per second with 1, 2 and 4 workers on one
# PostgreSQL queue, and the database round trips per completed job. Starts a throwaway PostgreSQL
# (.ci/postgres) unless HAUL_TEST_POSTGRES names one.
#
#   bench/fleet.sh [--jobs N] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=2000
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: bench/fleet.sh [--jobs N] [--rounds R]" >&2; exit 2 ;;
  esac
done
if [ -z "${HAUL_TEST_POSTGRES:-}" ]; then
  pg_dir="$(mktemp -d /tmp/haul-bench-pg.XXXXXX)"
  trap '.ci/postgres stop "$pg_dir"' EXIT
  HAUL_TEST_POSTGRES="$(.ci/postgres start "$pg_dir" "${FLEET_PG_PORT:-55441}")"
fi
export HAUL_TEST_POSTGRES HAUL_REQUIRE_POSTGRES=1
mvn -B -q install -DskipTests
for cap in 0 64; do
  mvn -B -q -Pbench -pl daemon test -Dtest=FleetBench -Dsurefire.failIfNoSpecifiedTests=false \
    -Dhaul.bench.jobs="$jobs" -Dhaul.bench.rounds="$rounds" -Dhaul.bench.cap="$cap" \
    | grep -v '^\[' || true
done
cat daemon/target/fleet-bench-cap0.md daemon/target/fleet-bench-cap64.md
