#!/usr/bin/env bash
# A production install, end to end: a fresh virtualenv from requirements.txt alone (what the
# Dockerfile installs), then the steps the image runs — migrate, collectstatic, gunicorn, and a
# Celery worker with beat — against PostgreSQL and Redis, until /healthz answers 200 (database,
# cache, broker and a worker heartbeat all up). Any import that only the development requirements
# satisfy makes a process die and the check fail.
#
#   DATABASE_URL=postgres://…/throwaway scripts/runtime-check.sh
#
# DATABASE_URL (required): a PostgreSQL database this check may migrate. Redis: a redis-server of
# its own on a free port when `redis-server` is installed, otherwise REDIS_URL. PYTHON: the
# interpreter for the virtualenv (python3). RUNTIME_CHECK_TIMEOUT: seconds to wait for /healthz
# (180). Everything it starts is stopped and its temporary folder removed when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TIMEOUT="${RUNTIME_CHECK_TIMEOUT:-180}"
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database the check may migrate}"
case "$DATABASE_URL" in
    postgres://* | postgresql://*) ;;
    *) echo "DATABASE_URL must be a PostgreSQL URL" >&2; exit 2 ;;
esac

WORK="$(mktemp -d "${TMPDIR:-/tmp}/lapor-runtime.XXXXXX")"
pids=()
# Alive and not a zombie (`kill -0` succeeds on a zombie that bash has not reaped yet).
alive() {
    local state
    state="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ "$state" != *Z* ]]
}
cleanup() {
    local pid children=()
    for pid in "${pids[@]}"; do
        # gunicorn's and the worker's own children, by parent id: stopped with them below.
        mapfile -t -O "${#children[@]}" children < <(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d " " || true)
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 75); do
            alive "$pid" || break
            sleep 0.2
        done
    done
    for pid in "${pids[@]}" "${children[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

show_logs() {
    local log
    for log in "$WORK"/*.log; do
        [ -e "$log" ] || continue
        echo "---- $(basename "$log") (last 40 lines)" >&2
        tail -n 40 "$log" >&2
    done
}

echo "runtime check: virtualenv from requirements.txt only"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --disable-pip-version-check -q -r requirements.txt
BIN="$WORK/venv/bin"

if command -v redis-server >/dev/null 2>&1; then
    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK" >"$WORK/redis.log" 2>&1 &
    pids+=("$!")
    export REDIS_URL="redis://127.0.0.1:$redis_port/0"
else
    : "${REDIS_URL:?no redis-server here: set REDIS_URL}"
fi

# The configuration of docker-compose.yml, minus HTTPS (plain HTTP on loopback).
export DATA_DIR="$WORK/data" MEDIA_ROOT="$WORK/data/media" STATIC_ROOT="$WORK/static"
export DEBUG=false SECURE_HTTPS=false ALLOWED_HOSTS=127.0.0.1,localhost
SECRET_KEY="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export EMAIL_URL="${EMAIL_URL:-console://}" SMS_BACKEND=console
unset CELERY_TASK_ALWAYS_EAGER
mkdir -p "$DATA_DIR" "$MEDIA_ROOT"

echo "runtime check: migrate, collectstatic"
"$BIN/python" manage.py migrate --noinput -v 0
"$BIN/python" manage.py collectstatic --noinput -v 0

web_port="$(free_port)"
echo "runtime check: gunicorn on 127.0.0.1:$web_port, celery worker -B (Redis $REDIS_URL)"
"$BIN/gunicorn" lapor.wsgi:application --bind "127.0.0.1:$web_port" --workers 2 \
    --access-logfile - >"$WORK/gunicorn.log" 2>&1 &
pids+=("$!")
"$BIN/celery" -A lapor worker -B --loglevel=INFO --concurrency=1 \
    --schedule="$DATA_DIR/celerybeat-schedule" >"$WORK/worker.log" 2>&1 &
pids+=("$!")

deadline=$((SECONDS + TIMEOUT))
last=""
while [ "$SECONDS" -lt "$deadline" ]; do
    for pid in "${pids[@]}"; do
        if ! alive "$pid"; then
            echo "runtime check FAILED: a process exited (pid $pid)" >&2
            show_logs
            exit 1
        fi
    done
    if last="$("$BIN/python" - "http://127.0.0.1:$web_port/healthz" 2>&1 <<'PY'
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        print(response.status, response.read().decode())
except urllib.error.HTTPError as err:
    print(err.code, err.read().decode())
    sys.exit(1)
PY
    )"; then
        echo "runtime check passed: /healthz $last"
        exit 0
    fi
    sleep 2
done
echo "runtime check FAILED: /healthz not 200 within ${TIMEOUT}s; last answer: $last" >&2
show_logs
exit 1
