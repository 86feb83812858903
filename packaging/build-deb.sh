#!/usr/bin/env bash
# Builds the spoolbridge .deb.
#
#   packaging/build-deb.sh                      release build + package + lintian
#   SPOOLBRIDGE_BACKEND_MODE=0700 packaging/build-deb.sh   backend run as root by CUPS
#   SKIP_SWIFT_BUILD=1 packaging/build-deb.sh   package the binaries already in .build-deb
#
# Output: .build-deb/deb/ (the .deb, .changes, .buildinfo and lintian.txt).
# The release build has its own scratch path (.build-deb): a plain `swift build -c release` into a
# shared one would relink the binaries against the toolchain's shared Swift libraries.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
scratch="$repo/.build-deb"
out_dir="${OUT_DIR:-$scratch/deb}"
# 0755: CUPS runs the backend as lp. 0700: as root. See packaging/debian/rules.
backend_mode="${SPOOLBRIDGE_BACKEND_MODE:-0755}"

if [[ ! "$backend_mode" =~ ^0?[0-7]{3}$ ]]; then
    echo "build-deb: SPOOLBRIDGE_BACKEND_MODE=$backend_mode is not an octal mode such as 0755 or 0700" >&2
    exit 2
fi

# --- tools ------------------------------------------------------------------------------------
missing=()
for tool in dpkg-buildpackage dh lintian fakeroot dpkg-parsechangelog; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "build-deb: missing ${missing[*]}; install them: apt-get install debhelper devscripts lintian fakeroot" >&2
        exit 1
    fi
    echo "build-deb: installing debhelper devscripts lintian fakeroot (missing: ${missing[*]})"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debhelper devscripts lintian fakeroot
fi

# --- Swift release build ----------------------------------------------------------------------
# Static Swift runtime: nothing from the toolchain is needed on the target machine, and the
# backend (started once per CUPS job) starts in milliseconds. --disable-local-rpath drops the
# $ORIGIN run path that a packaged binary must not carry; -z now resolves all symbols at start so
# the relocation tables can be read-only (lintian: hardening-no-bindnow).
swift_flags=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
             --scratch-path "$scratch")
cd "$repo"
if [[ "${SKIP_SWIFT_BUILD:-0}" != 1 ]]; then
    for product in spoolbridge spoolbridge-backend; do
        echo "build-deb: swift build --product $product"
        swift build "${swift_flags[@]}" --product "$product"
    done
fi
bin_dir=$(swift build "${swift_flags[@]}" --show-bin-path)
for product in spoolbridge spoolbridge-backend; do
    [[ -x "$bin_dir/$product" ]] || { echo "build-deb: $bin_dir/$product is missing; build it first" >&2; exit 1; }
    # The target machine has no Swift toolchain: refuse a binary that needs one.
    if readelf -d "$bin_dir/$product" | grep -E 'RPATH|RUNPATH|libswiftCore\.so|libFoundation\.so' >&2; then
        echo "build-deb: $bin_dir/$product needs the Swift toolchain's libraries (above); rebuild without SKIP_SWIFT_BUILD" >&2
        exit 1
    fi
done

# --- stage and package ------------------------------------------------------------------------
version=$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/spoolbridge-$version"
mkdir -p "$src/staged"
cp -a "$repo/packaging/debian" "$src/debian"
cp "$repo/systemd/spoolbridge.service" "$src/debian/spoolbridge.service"
cp "$repo/systemd/spoolbridge.socket" "$src/debian/spoolbridge.socket"
if [[ "$backend_mode" != 0755 && "$backend_mode" != 755 ]]; then
    # A mode without other-execute is how CUPS is told to run the backend as root: deliberate.
    cat >> "$src/debian/spoolbridge.lintian-overrides" <<OVERRIDES
# CUPS runs a backend as root when its mode lacks group/other write and other execute
# (SPOOLBRIDGE_BACKEND_MODE=$backend_mode was chosen for this build).
spoolbridge: non-standard-executable-perm * [usr/lib/cups/backend/spoolbridge]
spoolbridge: executable-is-not-world-readable * [usr/lib/cups/backend/spoolbridge]
OVERRIDES
fi
cp "$repo/packaging/spoolbridge.toml" "$repo/packaging/spoolbridge.8" "$repo/packaging/spoolbridge-backend.7" \
   "$repo/packaging/spoolbridge.sysusers" "$repo/packaging/spoolbridge.tmpfiles" "$repo/systemd/spoolbridge.catalog" \
   "$repo/scripts/cups/spoolbridge-pdf.ppd" "$src/staged/"
# spoolbridge.toml(5) is generated from Docs/configuration.md: one source for both.
awk -v date="$(date -u -d "@$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Timestamp)" '+%B %Y')" \
    -v version="$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)" \
    -f "$repo/packaging/md2man.awk" "$repo/Docs/configuration.md" > "$src/staged/spoolbridge.toml.5"
mkdir "$src/staged/doc"
for doc in operations configuration cups; do
    [[ -f "$repo/Docs/$doc.md" ]] && cp "$repo/Docs/$doc.md" "$src/staged/doc/"
done
install -m 0755 "$bin_dir/spoolbridge" "$src/staged/spoolbridge"
install -m 0755 "$bin_dir/spoolbridge-backend" "$src/staged/spoolbridge-backend"
# GRDB's resource bundle (GRDB_GRDB.resources, a privacy manifest for Apple platforms) is not
# shipped: nothing reads it at run time on Linux (checked: spoolbridge --help runs without it).

echo "build-deb: dpkg-buildpackage (backend mode $backend_mode)"
(cd "$src" && SPOOLBRIDGE_BACKEND_MODE="$backend_mode" dpkg-buildpackage -b -us -uc)

mkdir -p "$out_dir"
rm -f "$out_dir"/spoolbridge*_"$version"_*
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out_dir"/
shopt -s nullglob
ddebs=("$work"/*.ddeb)
((${#ddebs[@]})) && mv "${ddebs[@]}" "$out_dir"/
changes="$out_dir/spoolbridge_${version}_amd64.changes"

# --- lintian ----------------------------------------------------------------------------------
echo "build-deb: lintian"
status=0
lintian --info --fail-on error,warning "$changes" | tee "$out_dir/lintian.txt" || status=$?
echo "build-deb: built $out_dir/spoolbridge_${version}_amd64.deb"
exit "$status"
