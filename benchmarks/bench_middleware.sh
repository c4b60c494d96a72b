#!/bin/sh
# Install wrk if it is missing (Debian/Ubuntu: the `wrk` package), then run the middleware
# benchmark with the given arguments, e.g.:
#
#   sh benchmarks/bench_middleware.sh            # full run
#   sh benchmarks/bench_middleware.sh --quick    # smoke run
#
# PYTHON picks the interpreter (default: python3 on PATH; use the project's venv).
set -eu

if ! command -v wrk >/dev/null 2>&1; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "wrk is not installed and apt-get is not available: install wrk yourself (Debian package: wrk)." >&2
        exit 2
    fi
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "wrk not found: installing the Debian package (apt-get install -y wrk)" >&2
    $SUDO apt-get update
    $SUDO apt-get install -y wrk
fi

here=$(dirname "$0")
exec "${PYTHON:-python3}" "$here/bench_middleware.py" "$@"
