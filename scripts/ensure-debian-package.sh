#!/usr/bin/env bash
# Make sure a program from Debian's packages is installed: usage `ensure-debian-package.sh COMMAND [PACKAGE]`.
# Installs the package non-interactively when COMMAND is missing, as root or through passwordless sudo; does
# nothing when it is there. The tests need nginx (the production setup) and espeak-ng (`chat --speak-to`).
set -euo pipefail
command_name="$1"
package="${2:-$1}"
if command -v "$command_name" >/dev/null 2>&1 || [ -x "/usr/sbin/$command_name" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$command_name is not installed; install $package with your system's package manager" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "$command_name is not installed: sudo apt-get install $package" >&2
  exit 1
fi
echo "== installing $package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
install=(apt-get install -y -q --no-install-recommends "$package")
# A fresh machine may have no package lists yet: update only when the first attempt fails.
if ! "${as_root[@]}" "${install[@]}" >/dev/null; then
  "${as_root[@]}" apt-get update -q >/dev/null
  "${as_root[@]}" "${install[@]}" >/dev/null
fi
