#!/usr/bin/env bash
# `make demo`: the web server and the Celery worker (with beat inside it) side by side on the
# embedded default (SQLite, filesystem broker). Ctrl-C, or either process dying, stops both; the
# demo accounts (data/demo-accounts.txt, written by seed_demo) are printed last, once the portal
# answers.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
BIN="${VENV_BIN:-.venv/bin}"
export DEBUG="${DEBUG:-true}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
ACCOUNTS="${DATA_DIR:-data}/demo-accounts.txt"

worker=""
web=""
stop() {
    # Only our two children: signalling the whole process group would also kill make, which
    # then reports the demo as failed.
    trap - INT TERM
    for pid in $web $worker; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
stopped_by_user() {
    echo
    echo "Menghentikan LAPOR Daerah…"
    stop
    echo "LAPOR Daerah berhenti. Jalankan \`make demo\` lagi untuk melanjutkan dengan data yang sama."
    exit 0
}
trap stopped_by_user INT TERM

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

# Ready when the portal answers and /healthz is up (the worker reports itself as it starts). The
# health check is asked only once the home page answers, so the start-up shows no failed checks.
answers() {
    "$BIN/python" -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=5)' "$1" 2>/dev/null
}
ready=""
for _ in $(seq 120); do
    both_alive || break
    if answers "http://127.0.0.1:$PORT/" && answers "http://127.0.0.1:$PORT/healthz"; then
        ready=1
        break
    fi
    sleep 1
done
if both_alive; then
    if [[ -z "$ready" ]]; then
        echo "Portal belum sehat setelah 2 menit: lihat http://127.0.0.1:$PORT/healthz" >&2
    fi
    cat <<MSG

  LAPOR Daerah berjalan di / is running at http://127.0.0.1:$PORT/
  Surel dan SMS dicetak di sini oleh worker. Tekan Ctrl-C untuk berhenti.
  Petugas (operator, auditor, superadmin) juga memasukkan kode: isi RAHASIA TOTP mereka ke
  aplikasi autentikator, atau jalankan: DEBUG=true $BIN/python manage.py totp_code EMAIL

  Akun demo (juga di $ACCOUNTS):
MSG
    if [[ -r "$ACCOUNTS" ]]; then
        sed 's/^/  /' "$ACCOUNTS"
    else
        echo "  (belum ada: jalankan DEBUG=true $BIN/python manage.py seed_demo)"
    fi
    echo
fi

# Run until one of them exits (or Ctrl-C, handled above).
while both_alive; do
    sleep 1
done
echo "Server web atau worker berhenti; demo dihentikan." >&2
stop
exit 1
