#!/usr/bin/env bash
# Measure a source-only rebuild of the CPU image: change one line of benchmarks/, rebuild with
# `nox -s build-cpu`, report the wall time and fail when it exceeds the budget (default 15 s).
# The image must have been built once before (the dependency layers are then cached).
#   scripts/rebuild_timing.sh [BUDGET_S]       (honours GRAPHBENCH_BASE_IMAGE, DOCKER_HOST, ...)
set -euo pipefail
budget=${1:-15}
cd "$(dirname "$0")/.."
target=benchmarks/__init__.py
backup=$(mktemp)
cp -p "$target" "$backup"
restore() { cp -p "$backup" "$target"; rm -f "$backup"; }
trap restore EXIT

nox -s build-cpu >/dev/null 2>&1 || { echo "warm-up build failed: run nox -s build-cpu" >&2; exit 1; }
printf '\n# rebuild-timing probe %s\n' "$(date +%s%N)" >>"$target"
start=$(date +%s.%N)
nox -s build-cpu >/dev/null 2>&1
end=$(date +%s.%N)
elapsed=$(python3 -c "print(f'{$end - $start:.1f}')")
# the changed line must really be inside the image, or the measurement means nothing
docker run --rm --network none --entrypoint tail graphbench:cpu -n 1 /opt/graphbench/$target \
  | grep -q 'rebuild-timing probe' || { echo "the rebuilt image lacks the change" >&2; exit 1; }
echo "source-only rebuild of graphbench:cpu: ${elapsed} s (budget ${budget} s)"
python3 -c "import sys; sys.exit(0 if $elapsed <= $budget else 1)" || {
  echo "too slow: over the ${budget} s budget" >&2; exit 1; }
