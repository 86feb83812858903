#!/usr/bin/env bash
# Backlog: N jobs queued while the cloud is down (every upload answered 503), then the cloud comes
# back. Measures how soon the first document arrives and how fast the backlog drains, until the last
# file sits in the hot folder's archive folder. Baseline in the same run, against the same emulator:
# one `curl` process uploading the same number of the same files one after another over one kept-alive
# connection (`--next`), which is what the emulator takes from a single fast client.
# Env: BACKLOG_FILES (default 5000), BACKLOG_FILE_BYTES (2048), BENCH_CONCURRENCY (4), BENCH_SKIP_BUILD=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILES=${BACKLOG_FILES:-5000}
FILE_BYTES=${BACKLOG_FILE_BYTES:-2048}

need_commands curl:curl split:coreutils
bench_build
bench_init
start_emulator

mkdir -p "$WORK/stage"
head -c $((FILES * FILE_BYTES)) /dev/urandom >"$WORK/stage.blob"
(cd "$WORK/stage" && split -b "$FILE_BYTES" -d -a 5 --additional-suffix=.pdf "$WORK/stage.blob" doc-)
rm -f "$WORK/stage.blob"

# --- The baseline: one curl, same files, sequential ------------------------------------------------------
{
    first=1
    for f in "$WORK"/stage/doc-*; do
        ((first)) || echo "next"
        first=0
        name=${f##*/}
        printf 'url = "%s/api/v1/documents"\nrequest = "PUT"\nsilent\nshow-error\nfail\noutput = "/dev/null"\n' "$EMU_URL"
        printf 'header = "@%s"\n' "$WORK/api-key.header"
        printf 'form = "username=bench"\nform = "portname=Bench"\nform = "title=%s"\n' "$name"
        printf 'form = "data=@%s;filename=%s;type=application/octet-stream"\n' "$f" "$name"
    done
} >"$WORK/curl.config"
emulator_reset
t0=$EPOCHREALTIME
curl --config "$WORK/curl.config"
curl_seconds=$(calc "$EPOCHREALTIME - $t0")
emulator_count
((EMU_DOCUMENTS == FILES)) || die "curl delivered $EMU_DOCUMENTS of $FILES"
curl_rate=$(calc "$FILES / $curl_seconds")

# --- The daemon: queue everything during an outage -------------------------------------------------------
emulator_reset
curl -sS -f -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"fault":{"type":"status","status":503,"message":"maintenance"},"count":100000000}' "$EMU_URL/_emulator/faults"
mkdir -p "$WORK/hot/archive"
write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot"
sed -i "s|^failed = .*|&\narchive = \"$WORK/hot/archive\"|" "$WORK/daemon.toml"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"
find "$WORK/stage" -maxdepth 1 -type f -name 'doc-*' -exec mv -t "$WORK/hot" -- {} +
deadline=$((SECONDS + 300))
until "$BIN/spoolbridge" status --config "$WORK/daemon.toml" | grep -Eq "queued +$FILES\b"; do
    ((SECONDS < deadline)) || die "the backlog did not build up: $("$BIN/spoolbridge" status --config "$WORK/daemon.toml")"
    nap 0.2
done
note "daemon: $FILES jobs queued during the outage; the cloud comes back"

daemon_cpu0=$(proc_cpu_ticks "$DAEMON_PID")
t0=$EPOCHREALTIME
emulator_reset  # clears the fault: the cloud answers again
wait_for_documents 1 120
first_seconds=$(calc "$FIRST_AT - $t0")
# Waiting on the emulator first costs nothing (no process is forked); listing 5,000 archived files
# every 5 ms with find(1) during the whole drain took a core's share from the daemon being measured.
wait_for_documents "$FILES" 300
deadline=$((SECONDS + 300))
until (( $(find "$WORK/hot/archive" -maxdepth 1 -type f | wc -l) >= FILES )); do
    ((SECONDS < deadline)) || die "not every file was archived within 300 s"
    nap 0.005
done
drained_seconds=$(calc "$EPOCHREALTIME - $t0")
daemon_cpu=$(calc "($(proc_cpu_ticks "$DAEMON_PID") - $daemon_cpu0) / $CLOCK_TICKS")
emulator_count
received=$EMU_DOCUMENTS
stop_process "$DAEMON_PID"
daemon_rate=$(calc "$FILES / $drained_seconds")

machine_line
echo "backlog: $FILES files of $FILE_BYTES bytes, delivery.concurrency ${BENCH_CONCURRENCY:-4}"
printf '%-46s %10s %12s\n' "contender" "seconds" "documents/s"
printf '%-46s %10s %12s\n' "curl --next, one connection (baseline)" "$curl_seconds" "$curl_rate"
printf '%-46s %10s %12s\n' "spoolbridge, outage over -> last file archived" "$drained_seconds" "$daemon_rate"
echo "first document after the cloud came back: ${first_seconds} s"
echo "ratio (spoolbridge / curl): $(calc "$daemon_rate / $curl_rate")"
echo "daemon CPU over the drain: ${daemon_cpu} s ($(calc "$daemon_cpu * 1000 / $FILES") ms per document)"
echo "uploads received after the outage: $received (duplicates: $((received - FILES)))"
