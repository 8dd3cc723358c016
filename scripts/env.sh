# Sourced by run.sh and test.sh: use the active virtual environment, or make .venv, and install the project.
# Usage: . scripts/env.sh [pip extras, e.g. "[test]"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".${1:-}"
