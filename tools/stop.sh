#!/usr/bin/env bash
# `npm stop`: stops the local stack that `npm start` runs on this state dir (BDK_LOCAL_STACK_DIR, default
# .local-stack) from another terminal, as Ctrl-C would: SIGTERM to the stack, which stops every process it started
# in reverse order and keeps the state. Waits until it has exited.
set -euo pipefail
cd "$(dirname "$0")/.."
state_dir="${BDK_LOCAL_STACK_DIR:-$PWD/.local-stack}"
pid_file="$state_dir/local-stack.pid"

pid=$(cat "$pid_file" 2>/dev/null || true)
# A stale pid file may name a pid the system has since given to another program: only the stack is signalled.
if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null || ! grep -qa 'local-stack/main.js' "/proc/$pid/cmdline" 2>/dev/null; then
  echo "no local stack is running on $state_dir"
  exit 0
fi

echo "stopping the local stack (pid $pid) ..."
kill -TERM "$pid"
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "stopped; the state is kept in $state_dir (npm start -- --fresh starts from nothing)"
    exit 0
  fi
  sleep 0.5
done
echo "the local stack (pid $pid) is still stopping after 60 s" >&2
exit 1
