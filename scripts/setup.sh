#!/usr/bin/env bash
# Install srs and its first-party plugins into ./.venv (Debian, Python 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if ! "$PY" -c "import venv, ensurepip" >/dev/null 2>&1; then
    $SUDO apt-get update -q && $SUDO apt-get install -y -q python3-venv
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
EXTRA="${SRS_PIP_EXTRA:-}"
PLUGINS=()
for p in plugins/*/; do
    [ -f "$p/pyproject.toml" ] && PLUGINS+=(-e "$p")
done
.venv/bin/python -m pip install -q -e ".${EXTRA}" "${PLUGINS[@]}"
