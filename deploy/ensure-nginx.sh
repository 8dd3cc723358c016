#!/usr/bin/env bash
# Make sure nginx is installed (the production setup runs it, and so do its tests): Debian's package, installed
# non-interactively when it is missing, as root or through passwordless sudo. Does nothing when nginx is there.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "nginx is not installed; install it with your system's package manager" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "nginx is not installed: sudo apt-get install nginx" >&2
  exit 1
fi
echo "== installing nginx (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
install=(apt-get install -y -q --no-install-recommends nginx)
# A fresh machine may have no package lists yet: update only when the first attempt fails.
if ! "${as_root[@]}" "${install[@]}" >/dev/null; then
  "${as_root[@]}" apt-get update -q >/dev/null
  "${as_root[@]}" "${install[@]}" >/dev/null
fi
