#!/usr/bin/env bash
# Soak: 10,000 jobs through hot folders and the CUPS backend socket, with 20 cloud outages of 5-10 s
# (every upload answered 503) in between. Open file descriptors, threads and RSS of the daemon are
# read once the first 1,000 jobs are delivered and again at the end; they must stay within 5 %.
# Checks that nothing is lost (every document received, by title) and nothing is stuck (no job left
# queued or uploading, hot folder empty). Run as root (the backend connects as root, as CUPS's lp would).
# Env: SOAK_ROUNDS (20), SOAK_FILES_PER_ROUND (400), SOAK_CUPS_PER_ROUND (100), SOAK_FILE_BYTES (4096),
#      BENCH_SKIP_BUILD=1, SPOOLBRIDGE_BIN_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${SOAK_ROUNDS:-20}
FILES_PER_ROUND=${SOAK_FILES_PER_ROUND:-400}
CUPS_PER_ROUND=${SOAK_CUPS_PER_ROUND:-100}
FILE_BYTES=${SOAK_FILE_BYTES:-4096}
TOTAL=$((ROUNDS * (FILES_PER_ROUND + CUPS_PER_ROUND)))
[[ $(id -u) == 0 ]] || die "run as root"

need_commands curl:curl
bench_build
if [[ -z "${SPOOLBRIDGE_BIN_DIR:-}" && "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$BENCH_ROOT" && swift build -c release --scratch-path .build-release --product spoolbridge-backend >&2)
fi
[[ -x "$BIN/spoolbridge-backend" ]] || die "no spoolbridge-backend in $BIN"
bench_init
start_emulator

mkdir -p "$WORK/run" "$WORK/stage"
# As systemd/spoolbridge.service runs the daemon (set SOAK_MALLOC_ARENA_MAX= to see glibc's default).
export MALLOC_ARENA_MAX=${SOAK_MALLOC_ARENA_MAX-2}
write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot"
sed -i "s|^\[cups\]|[cups]\nsocket = \"$WORK/run/backend.sock\"|; s|^enabled = false||" "$WORK/daemon.toml"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"
head -c "$FILE_BYTES" /dev/urandom >"$WORK/cups-doc.pdf"

fault() { curl -sS -f -o /dev/null -X POST -H 'Content-Type: application/json' -d "$1" "$EMU_URL$2"; }
sample() { # label -> "fds threads rss_kb"
    local fds threads rss
    fds=$(find "/proc/$DAEMON_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
    threads=$(proc_status_kb "$DAEMON_PID" Threads)
    rss=$(proc_status_kb "$DAEMON_PID" VmRSS)
    echo "$fds $threads $rss"
}
cups_jobs() { # round, count: hands jobs to the daemon as CUPS would, 4 at a time
    local round=$1 count=$2 worker pids=()
    for worker in 0 1 2 3; do
        (
            local n
            for ((n = worker; n < count; n += 4)); do
                env -i DEVICE_URI="spoolbridge:/Soak" PRINTER=Soak SPOOLBRIDGE_SOCKET="$WORK/run/backend.sock" \
                    CONTENT_TYPE=application/pdf "$BIN/spoolbridge-backend" "$((round * 10000 + n + 1))" bench \
                    "cups-$round-$n" 1 "job-uuid=urn:uuid:soak-$round-$n-$$" "$WORK/cups-doc.pdf" 2>>"$WORK/backend.err" \
                    || echo "backend exit $? for cups-$round-$n" >>"$WORK/backend.failures"
            done
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"  # not a bare `wait`: the daemon and the emulator are children too
}

first_sample="" t0=$EPOCHREALTIME
for ((round = 0; round < ROUNDS; round++)); do
    mkdir -p "$WORK/stage/$round"
    for ((n = 0; n < FILES_PER_ROUND; n++)); do head -c "$FILE_BYTES" /dev/urandom >"$WORK/stage/$round/hot-$round-$n.pdf"; done
    find "$WORK/stage/$round" -type f -exec mv -t "$WORK/hot" -- {} +
    cups_jobs "$round" "$CUPS_PER_ROUND"
    submitted=$(((round + 1) * (FILES_PER_ROUND + CUPS_PER_ROUND)))
    if [[ -z $first_sample ]] && ((submitted >= 1000)); then
        # Both samples are taken the same way: everything submitted delivered, then 15 s of idle, so
        # the thread pools' idle workers have gone (libdispatch lets them linger a few seconds).
        wait_for_documents "$submitted" 300
        nap 15
        first_sample=$(sample)
        note "after the first $submitted jobs: fds threads rss_kb = $first_sample"
    fi
    if [[ -z ${mid_sample:-} ]] && ((submitted >= TOTAL / 2)); then
        wait_for_documents "$submitted" 300
        nap 15
        mid_sample=$(sample)
        note "after $submitted jobs: fds threads rss_kb = $mid_sample"
    fi
    # An outage of 5-10 s: every upload is answered 503 until it is over.
    outage=$((5 + RANDOM % 6))
    fault '{"fault":{"type":"status","status":503,"message":"soak outage"},"count":100000000}' /_emulator/faults
    nap "$outage"
    fault '{}' /_emulator/faults/clear
    note "round $((round + 1))/$ROUNDS: outage of $outage s over"
done

wait_for_documents "$TOTAL" 600
deadline=$((SECONDS + 120))
until "$BIN/spoolbridge" status --config "$WORK/daemon.toml" | grep -q "queued 0, uploading 0, delivered $TOTAL,"; do
    ((SECONDS < deadline)) || die "jobs left unfinished: $("$BIN/spoolbridge" status --config "$WORK/daemon.toml")"
    nap 0.2
done
elapsed=$(calc "$EPOCHREALTIME - $t0")
nap 15
last_sample=$(sample)
curl -sS "$EMU_URL/_emulator/documents" >"$WORK/documents.json"
titles=$(grep -o '"title" *: *"[^"]*"' "$WORK/documents.json" | sort)
received=$(grep -c . <<<"$titles")
distinct=$(uniq <<<"$titles" | grep -c .)
left=$(find "$WORK/hot" -maxdepth 1 -type f | wc -l)
failures=0
[[ -f "$WORK/backend.failures" ]] && failures=$(wc -l <"$WORK/backend.failures")
outage_lines=$(grep -c "the cloud is unavailable" "$WORK/daemon.log" || true)
log_lines=$(wc -l <"$WORK/daemon.log")
stop_process "$DAEMON_PID"

read -r fds1 threads1 rss1 <<<"$first_sample"
read -r fdsm threadsm rssm <<<"$mid_sample"
read -r fds2 threads2 rss2 <<<"$last_sample"
pct() { calc "($2 - $1) * 100 / $1"; }
machine_line
echo "soak: $TOTAL jobs ($((ROUNDS * FILES_PER_ROUND)) hot-folder files, $((ROUNDS * CUPS_PER_ROUND)) CUPS jobs of $FILE_BYTES bytes), $ROUNDS outages of 5-10 s, $elapsed s"
printf '%-12s %13s %10s %10s %13s %13s\n' "measure" "after ~1,000" "halfway" "at the end" "change % 1k" "change % 1/2"
for row in "open fds:$fds1:$fdsm:$fds2" "threads:$threads1:$threadsm:$threads2" "RSS (KiB):$rss1:$rssm:$rss2"; do
    IFS=: read -r name a m b <<<"$row"
    printf '%-12s %13s %10s %10s %13s %13s\n' "$name" "$a" "$m" "$b" "$(pct "$a" "$b")" "$(pct "$m" "$b")"
done
echo "documents received: $received, distinct titles: $distinct of $TOTAL (duplicates: $((received - distinct)))"
echo "left in the hot folder: $left; CUPS backend failures: $failures"
echo "log: $log_lines lines, 'the cloud is unavailable' $outage_lines times"
