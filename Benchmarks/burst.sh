#!/usr/bin/env bash
# Burst: 1,000 files of 20 KB moved into a hot folder at once; time from the drop until every file sits in
# the hot folder's archive folder (what the user sees; the emulator holding all 1,000 is printed too). Measured for the daemon and, in the same run against the same emulator, for the shell bridge
# `inotifywait -m | while read f; do curl -F ...; done`.
# Env: BURST_FILES (default 1000), BURST_FILE_BYTES (20480), BENCH_CONCURRENCY (delivery.concurrency, 4),
# BURST_SKIP_SHELL=1 (daemon only, for quick experiments), BENCH_SKIP_BUILD=1, SPOOLBRIDGE_BIN_DIR,
# BURST_PERF_DATA=FILE (record the daemon with `perf record -F 999 -g` from the drop to the last upload),
# BURST_STRACE=FILE (count its system calls with `strace -c -f` over the same span instead),
# BURST_PERF_STAT=FILE (count them, and context switches, with `perf stat` tracepoints: no slowdown).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FILES=${BURST_FILES:-1000}
FILE_BYTES=${BURST_FILE_BYTES:-20480}
DEADLINE=${BURST_DEADLINE_SECONDS:-600}

need_commands inotifywait:inotify-tools curl:curl split:coreutils sha256sum:coreutils
bench_build
bench_init
start_emulator

# Two sets of the same shape, one per contender, made outside the hot folders (same filesystem, so the
# drop is a rename per file) and flushed to disk first so neither run pays for the other's writeback.
make_files() {
    mkdir -p "$1"
    head -c $((FILES * FILE_BYTES)) /dev/urandom >"$1.blob"
    (cd "$1" && split -b "$FILE_BYTES" -d -a 5 --additional-suffix=.pdf "$1.blob" doc-)
    rm -f "$1.blob"
    (cd "$1" && sha256sum -- *) | awk '{ print $1 }' | sort >"$1.sha256"
    [[ $(wc -l <"$1.sha256") -eq $FILES ]] || die "expected $FILES files in $1"
}
make_files "$WORK/stage-daemon"
[[ ${BURST_SKIP_SHELL:-0} == 1 ]] || make_files "$WORK/stage-shell"
sync

# Waits until DIR holds N files; sets ARCHIVED_AT.
wait_for_archived() {
    local dir=$1 want=$2 deadline=$((SECONDS + $3))
    while :; do
        if (( $(find "$dir" -maxdepth 1 -type f 2>/dev/null | wc -l) >= want )); then
            ARCHIVED_AT=$EPOCHREALTIME
            return 0
        fi
        ((SECONDS < deadline)) || die "only $(find "$dir" -maxdepth 1 -type f | wc -l) of $want files in $dir within $3 s"
        nap 0.005
    done
}

drop() { # staging dir, hot folder: the drop is one `mv` of every file
    find "$1" -maxdepth 1 -type f -name 'doc-*' -exec mv -t "$2" -- {} +
}

# --- The daemon -----------------------------------------------------------------------------------------
BENCH_ARCHIVE=1 write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot-daemon"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"
emulator_reset
note "daemon: dropping $FILES files"
daemon_cpu0=$(proc_cpu_ticks "$DAEMON_PID")
emulator_cpu0=$(proc_cpu_ticks "$EMU_PID")
if [[ -n ${BURST_PERF_DATA:-} ]]; then
    perf record ${BURST_PERF_RECORD_ARGS:--F 999} -g -p "$DAEMON_PID" -o "$BURST_PERF_DATA" 2>"$WORK/perf.err" &
    PERF_PID=$!
    BENCH_PIDS+=("$PERF_PID")
    nap 0.5  # perf attaches to every thread before the drop
elif [[ -n ${BURST_STRACE:-} ]]; then
    strace ${BURST_STRACE_ARGS:--c} -f -p "$DAEMON_PID" -o "$BURST_STRACE" 2>"$WORK/strace.err" &
    PERF_PID=$!
    BENCH_PIDS+=("$PERF_PID")
    nap 0.5
elif [[ -n ${BURST_PERF_STAT:-} ]]; then
    # Counts without slowing each call down as strace does: system calls and context switches.
    perf stat ${BURST_PERF_EVENTS:--e 'syscalls:sys_enter_*' -e sched:sched_switch} -p "$DAEMON_PID" -o "$BURST_PERF_STAT" 2>"$WORK/perf.err" &
    PERF_PID=$!
    BENCH_PIDS+=("$PERF_PID")
    nap 0.5
fi
t0=$EPOCHREALTIME
drop "$WORK/stage-daemon" "$WORK/hot-daemon"
t_dropped=$EPOCHREALTIME
wait_for_documents "$FILES" "$DEADLINE"
daemon_received_seconds=$(calc "$DONE_AT - $t0")
wait_for_archived "$WORK/hot-daemon-archive" "$FILES" "$DEADLINE"
if [[ -n ${BURST_PERF_DATA:-}${BURST_STRACE:-}${BURST_PERF_STAT:-} ]]; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    wait "$PERF_PID" 2>/dev/null || true
fi
daemon_cpu=$(calc "($(proc_cpu_ticks "$DAEMON_PID") - $daemon_cpu0) / $CLOCK_TICKS")
emulator_cpu=$(calc "($(proc_cpu_ticks "$EMU_PID") - $emulator_cpu0) / $CLOCK_TICKS")
daemon_seconds=$(calc "$ARCHIVED_AT - $t0")
daemon_t0_ms=$(( ${t0/./} / 1000 ))
daemon_drop_seconds=$(calc "$t_dropped - $t0")

# Exactly once: wait until the outbox has nothing left in flight, then count again, by content.
deadline=$((SECONDS + 60))
while :; do
    jobs_json=$("$BIN/spoolbridge" jobs --config "$WORK/daemon.toml" --state delivered --limit $((FILES * 2)) --json)
    delivered=$(grep -c '"state" *: *"delivered"' <<<"$jobs_json" || true)
    ((delivered >= FILES)) && break
    ((SECONDS < deadline)) || die "the outbox shows $delivered of $FILES delivered after 60 s"
    nap 0.05
done
curl -sS "$EMU_URL/_emulator/documents" >"$WORK/daemon-documents.json"
received=$(grep -o '"sha256" *: *"[0-9a-f]*"' "$WORK/daemon-documents.json" | grep -o '[0-9a-f]\{64\}' | sort)
received_count=$(grep -c . <<<"$received" || true)
duplicates=$(uniq -d <<<"$received" | grep -c . || true)
missing=$(comm -23 "$WORK/stage-daemon.sha256" <(echo "$received") | grep -c . || true)
left_in_folder=$(find "$WORK/hot-daemon" -type f | wc -l)

# Where the time went, from the outbox's own millisecond timestamps (createdAt = job row written at the
# start of the claim, updatedAt of a delivered job = delivery recorded).
phases=""
if command -v sqlite3 >/dev/null; then
    phases=$(sqlite3 -readonly "$WORK/spool/outbox.sqlite" \
        "SELECT MIN(createdAt), MAX(createdAt), MAX(updatedAt) FROM job WHERE state = 'delivered'")
fi
stop_process "$DAEMON_PID"

# --- The shell bridge -------------------------------------------------------------------------------------
if [[ ${BURST_SKIP_SHELL:-0} == 1 ]]; then
    echo
    echo "burst (daemon only): $FILES files x $FILE_BYTES bytes, delivery.concurrency = ${BENCH_CONCURRENCY:-4}"
    machine_line
    echo "spoolbridge (drop -> all archived): $daemon_seconds s (all received: $daemon_received_seconds s); $received_count received, $duplicates duplicates, $missing missing"
    IFS='|' read -r first_claim last_claim last_delivered <<<"${phases:-0|0|0}"
    echo "phases (ms after the drop): first job created $((first_claim - daemon_t0_ms)), last job created" \
        "$((last_claim - daemon_t0_ms)), last delivery recorded $((last_delivered - daemon_t0_ms)); CPU s: daemon $daemon_cpu, emulator $emulator_cpu"
    echo "daemon CPU per document: $(calc "$daemon_cpu * 1000 / $FILES") ms"
    exit 0
fi
mkdir -p "$WORK/hot-shell" "$WORK/hot-shell-archive"
mkfifo "$WORK/events.fifo"
inotifywait -m -e close_write -e moved_to --format '%w%f' "$WORK/hot-shell" >"$WORK/events.fifo" 2>"$WORK/inotifywait.err" &
INOTIFY_PID=$!
BENCH_PIDS+=("$INOTIFY_PID")
# The bridge as an admin would write it. Its key comes from a header file (-H @FILE), not argv.
while IFS= read -r f; do
    curl -sS -f -o /dev/null -H @"$WORK/api-key.header" -X PUT \
        -F username=bench -F portname=Bench -F "title=$(basename "$f")" \
        -F "data=@$f;filename=$(basename "$f");type=application/octet-stream" "$EMU_URL/api/v1/documents" && mv -- "$f" "$WORK/hot-shell-archive/"
done <"$WORK/events.fifo" &
BRIDGE_PID=$!
BENCH_PIDS+=("$BRIDGE_PID")
deadline=$((SECONDS + 20))
until grep -q 'Watches established' "$WORK/inotifywait.err"; do
    ((SECONDS < deadline)) || die "inotifywait did not start: $(cat "$WORK/inotifywait.err")"
    nap 0.01
done
emulator_reset
note "shell bridge: dropping $FILES files"
emulator_cpu0=$(proc_cpu_ticks "$EMU_PID")
t0=$EPOCHREALTIME
drop "$WORK/stage-shell" "$WORK/hot-shell"
wait_for_documents "$FILES" "$DEADLINE"
wait_for_archived "$WORK/hot-shell-archive" "$FILES" "$DEADLINE"
shell_seconds=$(calc "$ARCHIVED_AT - $t0")
shell_emulator_cpu=$(calc "($(proc_cpu_ticks "$EMU_PID") - $emulator_cpu0) / $CLOCK_TICKS")
emulator_count
shell_count=$EMU_DOCUMENTS
stop_process "$INOTIFY_PID"
stop_process "$BRIDGE_PID"

# --- Results ----------------------------------------------------------------------------------------------
echo
echo "burst: $FILES files x $FILE_BYTES bytes, delivery.concurrency = ${BENCH_CONCURRENCY:-4}"
machine_line
printf '%-34s %10s %14s\n' "contender" "seconds" "documents/s"
printf '%-34s %10s %14s\n' "spoolbridge (drop -> all archived)" "$daemon_seconds" "$(calc "$FILES / $daemon_seconds")"
printf '%-34s %10s %14s\n' "inotifywait | curl -F; mv (shell)" "$shell_seconds" "$(calc "$FILES / $shell_seconds")"
echo "ratio (shell / spoolbridge): $(calc "$shell_seconds / $daemon_seconds")x   (issue 12: >= 15x in every run, aim 25x)"
echo "drop itself (mv of $FILES files): ${daemon_drop_seconds} s; spoolbridge drop -> all received: $daemon_received_seconds s"
if [[ -n "$phases" ]]; then
    IFS='|' read -r first_claim last_claim last_delivered <<<"$phases"
    echo "daemon phases (outbox timestamps, ms after the drop began): first job created" \
        "$((first_claim - daemon_t0_ms)), last job created $((last_claim - daemon_t0_ms))," \
        "last delivery recorded $((last_delivered - daemon_t0_ms))"
fi
echo "daemon: received $received_count documents, $duplicates duplicates, $missing missing," \
    "$delivered jobs delivered in the outbox, $left_in_folder files left in the hot folder"
echo "shell bridge: emulator holds $shell_count documents"
echo "CPU seconds during the spoolbridge run: daemon $daemon_cpu, emulator $emulator_cpu" \
    "(of $(calc "$(nproc) * $daemon_seconds") available on $(nproc) cores); emulator during the shell run: $shell_emulator_cpu"
echo "daemon CPU per document: $(calc "$daemon_cpu * 1000 / $FILES") ms"
