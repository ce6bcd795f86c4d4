#!/usr/bin/env bash
# Starts a Docker engine for the tests and the example agent, without a service manager.
# Idempotent: if an engine already answers /_ping, nothing is done.
#   - installs Debian's docker.io when dockerd is missing (needs root and apt);
#   - runs dockerd in the background, logging to $DOCKERD_LOG;
#   - waits until the engine answers /_ping (at most $DOCKERD_WAIT_SECS seconds).
# Environment: DOCKER_HOST (unix socket only), DOCKERD_LOG, DOCKERD_PIDFILE, DOCKERD_WAIT_SECS.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCK="${DOCKER_HOST:-unix:///var/run/docker.sock}"
SOCK="${SOCK#unix://}"
STATE="${STATE_DIR:-./.silvana}"
LOG="${DOCKERD_LOG:-$STATE/dockerd.log}"
# Beside the engine's socket, not in STATE_DIR: tests may wipe STATE_DIR while the engine runs.
PIDFILE="${DOCKERD_PIDFILE:-$(dirname "$SOCK")/silvana-dockerd.pid}"
WAIT="${DOCKERD_WAIT_SECS:-60}"

ping() {
  # curl is not guaranteed; node is (the project runs on it), but a raw socket probe via bash is
  # the cheapest dependency-free check.
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 2 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null || true)" = "OK" ]
  else
    [ -S "$SOCK" ] && docker -H "unix://$SOCK" version >/dev/null 2>&1
  fi
}

if ping; then
  echo "docker engine already answers on $SOCK"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "dockerd is not installed and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
  echo "installing docker.io from the Debian archive"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

# A dockerd that died leaves its pid file and socket behind; both block a new start.
if [ -f "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then rm -f "$PIDFILE"; fi
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
if [ -S "$SOCK" ] && ! ping; then rm -f "$SOCK"; fi

if [ ! -f "$PIDFILE" ]; then
  # test/setup/globalSetup.ts reads this line: it stops at teardown only an engine it saw started.
  echo "starting dockerd (log: $LOG)"
  mkdir -p "$(dirname "$SOCK")" "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
  # setsid: the engine must outlive this script and the shell that ran it.
  setsid dockerd --host "unix://$SOCK" >>"$LOG" 2>&1 < /dev/null &
  echo $! >"$PIDFILE"
fi

for _ in $(seq 1 $((WAIT * 5))); do
  if ping; then
    echo "docker engine is up on $SOCK"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "dockerd exited during start-up; last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  sleep 0.2
done
echo "docker engine did not answer /_ping within ${WAIT}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2
exit 1
