#!/usr/bin/env bash
# Install the given Debian packages (NAME=VERSION, pinned) that are not installed yet; nothing if all are.
# Usage: tools/install-debian.sh g++=4:12.2.0-3 nasm=2.16.01-1 ...
set -euo pipefail
if ! command -v dpkg >/dev/null; then
  echo "not a Debian system: install these yourself if you want them: $*" >&2
  exit 0
fi
missing=()
for package in "$@"; do
  dpkg -s "${package%%=*}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
