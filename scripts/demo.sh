#!/usr/bin/env bash
# The main job on an embedded default: start the cloud emulator, run the daemon on a temporary
# hot folder, drop a sample document, and show it delivered. Everything stays on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "building (the first build takes a few minutes)…"
for product in spoolbridge spoolbridge-emulator; do
  swift build --product "$product" >/tmp/spoolbridge-demo-build.log 2>&1 || { cat /tmp/spoolbridge-demo-build.log; exit 1; }
done
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/spoolbridge-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

umask 077
printf 'demo-api-key\n' > "$work/api-key"
mkdir -p "$work/hot"

"$bin/spoolbridge-emulator" --port 0 --api-key-file "$work/api-key" > "$work/emulator.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/emulator.out" 2>/dev/null && break; sleep 0.05; done
url=$(grep -o 'http://[0-9.:]*' "$work/emulator.out")
echo "cloud emulator: $url"

cat > "$work/spoolbridge.toml" <<TOML
[cloud]
url = "$url"
api_key_file = "$work/api-key"

[spool]
directory = "$work/spool"
min_free_mb = 0

[cups]
enabled = false

[[hotfolder]]
path = "$work/hot"
port = "Finance"
user = "alice"
duplex = "long-edge"
TOML

"$bin/spoolbridge" check-config --config "$work/spoolbridge.toml"
"$bin/spoolbridge" run --config "$work/spoolbridge.toml" 2> "$work/daemon.log" &
pids+=($!)
for _ in $(seq 200); do grep -q "spoolbridge is running" "$work/daemon.log" 2>/dev/null && break; sleep 0.05; done

printf '%%PDF-1.4\n%% spoolbridge demo document\n' > "$work/sample.pdf"
mv "$work/sample.pdf" "$work/hot/quarterly report.pdf"
echo "dropped: $work/hot/quarterly report.pdf"

delivered() {
  "$bin/spoolbridge" jobs --config "$work/spoolbridge.toml" --state delivered --json | grep -q '"documentUUID"'
}
for _ in $(seq 200); do delivered && break; sleep 0.05; done
echo
echo "--- daemon log"; cat "$work/daemon.log"
echo "--- spoolbridge status"; "$bin/spoolbridge" status --config "$work/spoolbridge.toml"
echo "--- spoolbridge jobs"; "$bin/spoolbridge" jobs --config "$work/spoolbridge.toml"
echo "--- what the cloud received"; curl -s "$url/_emulator/documents"; echo
delivered && echo "demo: delivered" || { echo "demo: NOT delivered" >&2; exit 1; }
