#!/usr/bin/env bash
# Stops the Docker engine scripts/start-dockerd.sh started (and only that one): SIGTERM, wait up to
# $DOCKERD_STOP_SECS seconds, then SIGKILL. Idempotent: does nothing when it is not running.
set -euo pipefail
cd "$(dirname "$0")/.."

SOCK="${DOCKER_HOST:-unix:///var/run/docker.sock}"
SOCK="${SOCK#unix://}"
PIDFILE="${DOCKERD_PIDFILE:-$(dirname "$SOCK")/silvana-dockerd.pid}"
WAIT="${DOCKERD_STOP_SECS:-20}"

if [ ! -f "$PIDFILE" ]; then
  echo "no dockerd started by start-dockerd.sh ($PIDFILE absent)"
  exit 0
fi
PID="$(cat "$PIDFILE")"
if ! kill -0 "$PID" 2>/dev/null; then
  echo "dockerd $PID is not running"
  rm -f "$PIDFILE"
  exit 0
fi
echo "stopping dockerd $PID"
kill -TERM "$PID"
for _ in $(seq 1 $((WAIT * 5))); do
  if ! kill -0 "$PID" 2>/dev/null; then
    rm -f "$PIDFILE"
    echo "dockerd stopped"
    exit 0
  fi
  sleep 0.2
done
echo "dockerd did not stop within ${WAIT}s; killing it" >&2
kill -KILL "$PID" 2>/dev/null || true
rm -f "$PIDFILE"
