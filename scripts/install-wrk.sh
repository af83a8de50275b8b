#!/usr/bin/env bash
# Install wrk (the benchmark's load tool) from the distribution, as root or through sudo.
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
    run() { "$@"; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run() { sudo "$@"; }
else
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || exit 1
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk \
    || { run apt-get update && run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }
