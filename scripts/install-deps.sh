#!/usr/bin/env bash
# Installs the Debian packages spoolbridge builds and tests with, when missing.
# Runs apt-get only if something is missing (and as root, or through sudo).
set -euo pipefail

packages=(
  libsqlite3-dev      # GRDB's SQLite
  libcups2-dev        # the CUPS backend (libcups)
  libsystemd-dev      # sd_notify, journald
  cups-daemon         # a private cupsd for the CUPS tests
  cups-client         # lp, lpadmin, lpstat
  inotify-tools curl  # the shell baseline of the benchmarks
  pkg-config
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
