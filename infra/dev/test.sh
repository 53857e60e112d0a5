#!/usr/bin/env bash
# `make test`: start PostgreSQL and Redis and install Debian's chromium (deps.sh), then build and run every test
# project of Maas.sln against them, and print one summary line ("Total: N passed, N failed, N skipped").
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

infra/dev/deps.sh start || { echo "[test] could not start PostgreSQL/Redis (infra/dev/deps.sh)" >&2; exit 1; }
# The portal's browser tests drive Debian's chromium through Playwright (whose own browser download cannot work offline).
infra/dev/deps.sh browser || { echo "[test] could not install chromium (infra/dev/deps.sh browser)" >&2; exit 1; }
eval "$(infra/dev/deps.sh env)"
export MAAS_POSTGRES MAAS_REDIS DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

mkdir -p .data
out=".data/test-output.txt"
start=$(date +%s)
dotnet test Maas.sln -c Release "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
elapsed=$(( $(date +%s) - start ))

# One line per test assembly: "Passed!  - Failed: 0, Passed: 25, Skipped: 0, Total: 25, ..."
read -r passed failed skipped < <(grep -E '^(Passed|Failed)! +- ' "$out" | awk -F'[:,]' '
  { for (i = 1; i < NF; i++) {
      if ($i ~ /Failed$/) f += $(i+1); if ($i ~ /Passed$/) p += $(i+1); if ($i ~ /Skipped$/) s += $(i+1) } }
  END { printf "%d %d %d\n", p, f, s }')
assemblies=$(grep -cE '^(Passed|Failed)! +- ' "$out")

echo
echo "make test: $assemblies test assemblies in ${elapsed}s, exit code $rc"
echo "Total: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$rc" -eq 0 ] && [ "$assemblies" -eq 0 ]; then
  echo "[test] no test ran" >&2
  exit 1
fi
exit "$rc"
