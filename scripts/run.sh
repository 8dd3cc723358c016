#!/usr/bin/env bash
# Install the skill into .venv (or the virtual environment you have activated) and run it; no activation and
# no AWS account needed.
#   bash scripts/run.sh                        serve on http://127.0.0.1:5000 with Alexa request verification on
#   bash scripts/run.sh chat                   talk to the skill in this terminal (--speak to hear it)
#   bash scripts/run.sh ask "which muscles are treated"
#   bash scripts/run.sh build-models           any other tpi-skill command (bash scripts/run.sh --help)
#   bash scripts/run.sh python benchmarks/run.py     a program of the environment: python, gunicorn, pip...
caller="$PWD"
. "$(dirname "$0")/env.sh" ""  # no extras (an explicit argument, or this script's own would leak in)
cd "$caller"  # env.sh works from the checkout; paths typed in the command are relative to where it was typed
export TPI_SKILL_COMMAND="bash $0"  # so tpi-skill's hints show the command to copy
if [ $# -eq 0 ]; then
  set -- serve
fi
case "$1" in
  ask | chat | serve | build-models | insights | -h | --help) ;;  # tests/test_readme.py checks this list
  */*) ;;
  *)
    if [ -x "$VIRTUAL_ENV/bin/$1" ]; then
      exec "$@"
    fi
    ;;
esac
exec tpi-skill "$@"
