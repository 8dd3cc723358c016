#!/usr/bin/env bash
# Install the skill and run it locally; no AWS account needed.
#   bash scripts/run.sh            serve on http://127.0.0.1:5000 with Alexa request verification on
#   bash scripts/run.sh chat       talk to the skill in this terminal (add --speak to hear it)
#   bash scripts/run.sh ask "which muscles are treated"
. "$(dirname "$0")/env.sh" ""  # no extras (an explicit argument, or this script's own would leak in)
if [ $# -eq 0 ]; then
  set -- serve
fi
exec tpi-skill "$@"
