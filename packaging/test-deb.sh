#!/usr/bin/env bash
# The package, tested: builds the .deb (packaging/build-deb.sh: release build, dpkg-buildpackage,
# lintian), installs it with dpkg -i, checks owners and modes, verifies the installed units and
# their sandbox (systemd-analyze), runs check-config on the shipped configuration, then dpkg -r and
# dpkg -P, checking that only purge removes the state directory and the administrator's files.
#
# Needs root on Debian (it installs and removes the package on this machine); anywhere else it says
# why it skips and exits 0. Run by .ci/run. SKIP_SWIFT_BUILD=1 reuses the binaries in .build-deb.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
    echo "package test: skipped: needs root (dpkg -i, dpkg -P)"
    exit 0
fi
if ! grep -qs '^ID=debian' /etc/os-release; then
    echo "package test: skipped: not Debian ($(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}"))"
    exit 0
fi

started=$(date +%s)
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then
        passed=$((passed + 1)); echo "package test: ok: $what"
    else
        failed=$((failed + 1)); echo "package test: FAILED: $what" >&2
    fi
}
mode_owner() {  # mode_owner PATH EXPECTED ("755 root root")
    local actual; actual=$(stat -c '%a %U %G' "$1" 2>/dev/null || echo missing)
    [[ "$actual" == "$2" ]] || { echo "  $1: $actual, expected $2" >&2; return 1; }
}

command -v systemd-analyze >/dev/null || {
    echo "package test: installing systemd (systemd-analyze)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
}

# A previous run (or an install by hand) must not decide the outcome.
if dpkg-query -W -f='${Status}' spoolbridge 2>/dev/null | grep -q installed; then
    dpkg -P spoolbridge >/dev/null
fi

"$repo/packaging/build-deb.sh"
build_done=$(date +%s)
version=$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)
deb="$repo/.build-deb/deb/spoolbridge_${version}_amd64.deb"

echo "package test: dpkg -i $deb"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"
check "the spoolbridge user exists" getent passwd spoolbridge
check "backend 0755 root" mode_owner /usr/lib/cups/backend/spoolbridge "755 root root"
check "/usr/bin/spoolbridge 0755 root" mode_owner /usr/bin/spoolbridge "755 root root"
check "/etc/spoolbridge 0750 root:spoolbridge" mode_owner /etc/spoolbridge "750 root spoolbridge"
check "/etc/spoolbridge/spoolbridge.toml 0644 root" mode_owner /etc/spoolbridge/spoolbridge.toml "644 root root"
check "state directory 0700 spoolbridge" mode_owner /var/lib/spoolbridge "700 spoolbridge spoolbridge"
for file in /usr/lib/systemd/catalog/spoolbridge.catalog /usr/lib/sysusers.d/spoolbridge.conf \
            /usr/lib/tmpfiles.d/spoolbridge.conf /usr/share/man/man8/spoolbridge.8.gz \
            /usr/share/man/man5/spoolbridge.toml.5.gz /usr/share/man/man7/spoolbridge-backend.7.gz; do
    check "$file installed" test -s "$file"
done
units=(/lib/systemd/system/spoolbridge.service /lib/systemd/system/spoolbridge.socket)
check "units installed" test -s "${units[0]}" -a -s "${units[1]}"
check "systemd-analyze verify" systemd-analyze verify "${units[@]}"
exposure=$(systemd-analyze security --offline=yes "${units[0]}" 2>/dev/null \
    | awk '/Overall exposure level/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+$/) print $i }')
echo "package test: exposure ${exposure:-unknown}"
check "security exposure ${exposure:-unknown} <= 1.5" awk -v e="${exposure:-99}" 'BEGIN { exit !(e ~ /^[0-9.]+$/ && e + 0 <= 1.5) }'
check "the catalog builds" journalctl --update-catalog

# check-config on the shipped file: it needs an API key and (for [cups]) the socket's directory,
# which the units provide at run time.
made_run_dir=0
[[ -d /run/spoolbridge ]] || { mkdir -p /run/spoolbridge; made_run_dir=1; }
umask 077
echo "package-test-key" > /etc/spoolbridge/api-key
check "check-config --offline on the shipped configuration" spoolbridge check-config --offline --config /etc/spoolbridge/spoolbridge.toml
(( made_run_dir )) && rmdir /run/spoolbridge
echo "a job" > /var/lib/spoolbridge/marker

echo "package test: dpkg -r spoolbridge"
dpkg -r spoolbridge
check "remove: the program is gone" test ! -e /usr/bin/spoolbridge
check "remove: the state directory stays" test -f /var/lib/spoolbridge/marker
check "remove: the configuration stays" test -f /etc/spoolbridge/spoolbridge.toml -a -f /etc/spoolbridge/api-key

echo "package test: dpkg -P spoolbridge"
dpkg -P spoolbridge
check "purge: the state directory is gone" test ! -e /var/lib/spoolbridge
check "purge: /etc/spoolbridge is gone" test ! -e /etc/spoolbridge

finished=$(date +%s)
echo "package test: build $((build_done - started)) s, install/check/remove $((finished - build_done)) s"
echo "$passed passed, $failed failed"
(( failed == 0 ))
