#!/usr/bin/env bash
# Install everything the checks need (Python and npm packages), then run every check CI runs.
. "$(dirname "$0")/env.sh" "[test]"
if [ -f tools/alexa/package-lock.json ]; then
  npm ci --prefix tools/alexa --no-audit --no-fund --loglevel=error
fi
# From Debian: nginx (the tests run the production setup for real) and espeak-ng (`chat --speak-to` WAV files).
bash scripts/ensure-debian-package.sh nginx
bash scripts/ensure-debian-package.sh espeak-ng
echo "== ruff"; ruff check . && ruff format --check .
echo "== mypy"; mypy
echo "== interaction models up to date"; tpi-skill build-models --check
echo "== pytest"; python -m pytest "$@"
