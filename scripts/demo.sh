#!/usr/bin/env bash
# `make demo`: the web server and the Celery worker (with beat inside it) side by side on the
# embedded default (SQLite, filesystem broker). Ctrl-C, or either process dying, stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
BIN="${VENV_BIN:-.venv/bin}"
export DEBUG="${DEBUG:-true}"

trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT

"$BIN/celery" -A lapor worker -B --pool=solo --loglevel=INFO &
worker=$!
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
web=$!

# Alive and not a zombie: bash reaps its children only now and then, and `kill -0` succeeds on a
# zombie; `wait -n` does not see a job that ended before it was called.
alive() {
    local state
    state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$state" != *Z* ]]
}
both_alive() { alive "$worker" && alive "$web"; }

# The worker first delivers the mail the seed queued (printed to the console). Wait until the
# portal reports itself healthy (the worker's first heartbeat comes within ~30 s), so the notice
# below comes after that burst; stop early if either process has died.
healthy() {
    "$BIN/python" -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)' \
        "http://127.0.0.1:$PORT/healthz" 2>/dev/null
}
for _ in $(seq 90); do
    both_alive || break
    healthy && break
    sleep 1
done
if both_alive; then
    cat <<MSG

  LAPOR Daerah is running at http://127.0.0.1:$PORT/
  The demo accounts (and, on the first run, their passwords) are in the seed_demo table above.
  Operators, auditors and the superadmin also give a code: add their RAHASIA TOTP to an
  authenticator app, or run: DEBUG=true $BIN/python manage.py totp_code EMAIL
  Mail and SMS are printed here by the worker.
  Press Ctrl-C to stop the web server and the worker.

MSG
fi

# Run until one of them exits (or Ctrl-C); the EXIT trap then stops the other.
while both_alive; do
    sleep 1
done
echo "the web server or the worker stopped; stopping the demo" >&2
exit 1
