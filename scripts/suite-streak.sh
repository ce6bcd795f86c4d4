#!/usr/bin/env bash
# Runs the README's two commands (`npm install && npm test`) on fresh clones of HEAD, N times in a
# row, and stops at the first red run. This is how "the suite passes 5 runs in a row on a busy
# machine" is shown (#10): each run prints its wall time and the machine's load average, so a green
# streak measured beside other work says so in its own output.
#
#   scripts/suite-streak.sh [runs=5] [burners=0]
#
# `burners` starts that many busy-loop processes beside the suite for its whole duration (the
# "other work" of a loaded machine when nothing else runs); they are stopped on exit. CI=true is
# set, so Docker suites are never skipped. Each run's output is kept in the run's directory, which
# is printed; nothing is written into this checkout.
set -euo pipefail
runs="${1:-5}"
burners="${2:-0}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
head="$(git -C "$repo" rev-parse --short HEAD)"
work="$(mktemp -d "${TMPDIR:-/tmp}/suite-streak.XXXXXX")"
# mktemp makes it 0700; agents run as another uid (AGENT_PROCESS_USER) must reach the clone's node.
chmod 755 "$work"

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq 1 "$burners"); do
  node -e 'for (;;) {}' &
  pids+=("$!")
done

echo "suite_streak_commit=$head runs=$runs burners=$burners dir=$work"
green=0
for i in $(seq 1 "$runs"); do
  dir="$work/run-$i"
  git clone -q "$repo" "$dir"
  git -C "$dir" checkout -q "$head"
  start=$(date +%s)
  if (cd "$dir" && npm install --no-audit --no-fund >"$dir/install.log" 2>&1 \
      && CI=true npm test >"$dir/test.log" 2>&1); then
    status=green
    green=$((green + 1))
  else
    status=red
  fi
  took=$(( $(date +%s) - start ))
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/test.log" | grep -E '^ +(Test Files|Tests) ' | tr -s ' ' | paste -sd ';' - || true)
  echo "run=$i status=$status seconds=$took load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,) ${summary}"
  if [ "$status" = red ]; then
    sed 's/\x1b\[[0-9;]*m//g' "$dir/test.log" | grep -E '^ +× |FAIL ' | head -20 || true
    echo "suite_streak_green=$green"
    exit 1
  fi
  # A green run's clone is not needed any more (node_modules alone is ~1 GB).
  rm -rf "$dir/node_modules"
done
echo "suite_streak_green=$green"
