#!/usr/bin/env bash
# Install everything the checks need (Python and npm packages), then run every check CI runs.
. "$(dirname "$0")/env.sh" "[test]"
if [ -f tools/alexa/package-lock.json ]; then
  npm ci --prefix tools/alexa --no-audit --no-fund --loglevel=error
fi
# espeak-ng (Debian): the tests of `chat --speak-to` write real WAV files with it.
if ! command -v espeak-ng >/dev/null 2>&1; then
  as_root=""; [ "$(id -u)" -eq 0 ] || as_root="sudo"
  echo "== installing espeak-ng (apt-get)"
  $as_root apt-get update -qq && $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
fi
# nginx (Debian): the tests run the production setup, nginx in front of gunicorn, for real.
bash deploy/ensure-nginx.sh
echo "== ruff"; ruff check . && ruff format --check .
echo "== mypy"; mypy
echo "== interaction models up to date"; tpi-skill build-models --check
echo "== pytest"; python -m pytest "$@"
