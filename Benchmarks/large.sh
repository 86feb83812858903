#!/usr/bin/env bash
# Large file: one 200 MB document (200,000,000 bytes, under max_document_mb = 200 MiB). Throughput of the daemon
# (drop into the hot folder -> the emulator has it) against curl -F (the same multipart upload; start -> the
# emulator has it, read from the emulator's own timestamp for both, as is the daemon's) and curl -T
# (a raw PUT: the emulator answers 400 for lack of a multipart body, but only after reading all of it, so it
# measures pure transfer) to the same emulator in the same run; and the daemon's peak RSS (VmHWM).
# Each contender runs LARGE_RUNS times, interleaved; the table shows the median.
# Env: LARGE_BYTES (default 200000000), LARGE_RUNS (3), BENCH_SKIP_BUILD=1, SPOOLBRIDGE_BIN_DIR,
# LARGE_PERF_EMULATOR=PREFIX (profile the emulator during each upload).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BYTES=${LARGE_BYTES:-200000000}
RUNS=${LARGE_RUNS:-3}
DEADLINE=${LARGE_DEADLINE_SECONDS:-300}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "LARGE_RUNS must be a positive whole number, not $RUNS"

need_commands curl:curl
bench_build
bench_init
start_emulator

# Outside the hot folder, same filesystem, flushed so no run pays for writeback. Each daemon run drops a
# hard link to it: the drop is a rename, and the daemon's unlink after delivery leaves this name intact.
head -c "$BYTES" /dev/urandom >"$WORK/large.pdf"
sync
mb=$(calc "$BYTES / 1000000")

write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"
rss_start_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)

# LARGE_PERF_EMULATOR=PREFIX: profile the emulator (perf record) while each contender uploads, into
# PREFIX-curl-RUN.data and PREFIX-daemon-RUN.data: what the server does differently for the two.
emulator_perf_start() {
    [[ -n ${LARGE_PERF_EMULATOR:-} ]] || return 0
    perf record -F 2999 -g -p "$EMU_PID" -o "$LARGE_PERF_EMULATOR-$1-$run.data" 2>/dev/null &
    EMU_PERF_PID=$!
    nap 0.5
}
emulator_perf_stop() {
    [[ -n ${LARGE_PERF_EMULATOR:-} ]] || return 0
    kill -INT "$EMU_PERF_PID" && wait "$EMU_PERF_PID" || true
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

daemon_runs=() upload_runs=() committed_runs=() curl_f_runs=() curl_exit_runs=() curl_t_runs=()
daemon_cpu_runs=() curl_cpu_runs=() emu_daemon_cpu_runs=() emu_curl_cpu_runs=()
for ((run = 1; run <= RUNS; run++)); do
    note "run $run of $RUNS"
    # curl -F: the same multipart form the daemon sends.
    emulator_reset
    emulator_perf_start curl
    emu0=$(proc_cpu_ticks "$EMU_PID")
    t0=$EPOCHREALTIME
    # In a subshell that reports its children's CPU (curl's), from /proc/self/stat's cutime + cstime.
    curl_ticks=$(
        curl -sS -f -o /dev/null -H @"$WORK/api-key.header" -X PUT \
            -F username=bench -F portname=Bench -F title=large.pdf \
            -F "data=@$WORK/large.pdf;filename=large.pdf;type=application/octet-stream" "$EMU_URL/api/v1/documents"
        stat=$(</proc/self/stat) && rest=${stat##*) } && read -r -a f <<<"$rest" && echo $((f[13] + f[14]))
    )
    t_exit=$EPOCHREALTIME
    curl_exit_runs+=("$(calc "$t_exit - $t0")")
    curl_cpu_runs+=("$(calc "$curl_ticks / $CLOCK_TICKS")")
    emu_curl_cpu_runs+=("$(calc "($(proc_cpu_ticks "$EMU_PID") - $emu0) / $CLOCK_TICKS")")
    emulator_perf_stop
    emulator_count
    ((EMU_DOCUMENTS == 1)) || die "curl -F: the emulator did not record the document"
    # Timed like the daemon: from the start to the moment the emulator had the whole document.
    # (An emulator too old to report it: curl's exit.)
    curl_f_runs+=("$(calc "${LAST_AT:-$t_exit} - $t0")")

    # curl -T: raw PUT, no multipart (transfer only). `Expect:` (empty) stops curl from waiting for
    # 100-continue, which the emulator refuses early and unread for a request it will reject.
    t0=$EPOCHREALTIME
    code=$(curl -sS -o /dev/null -w '%{http_code}' -H @"$WORK/api-key.header" -H 'Expect:' \
        -T "$WORK/large.pdf" "$EMU_URL/api/v1/documents")
    curl_t_runs+=("$(calc "$EPOCHREALTIME - $t0")")
    [[ $code == 400 ]] || die "curl -T: expected the emulator's 400 after the whole body, got $code"

    # The daemon: drop -> the emulator holds it.
    emulator_reset
    emulator_perf_start daemon
    daemon0=$(proc_cpu_ticks "$DAEMON_PID") emu0=$(proc_cpu_ticks "$EMU_PID")
    t0=$EPOCHREALTIME
    ln "$WORK/large.pdf" "$WORK/hot/large.pdf"
    wait_for_documents 1 "$DEADLINE"
    daemon_runs+=("$(calc "$DONE_AT - $t0")")
    daemon_cpu_runs+=("$(calc "($(proc_cpu_ticks "$DAEMON_PID") - $daemon0) / $CLOCK_TICKS")")
    emu_daemon_cpu_runs+=("$(calc "($(proc_cpu_ticks "$EMU_PID") - $emu0) / $CLOCK_TICKS")")
    emulator_perf_stop
    t0_ms=$((${t0/./} / 1000))
    curl -sS "$EMU_URL/_emulator/documents" >"$WORK/documents.json"
    grep -q "\"size\" *: *$BYTES\b" "$WORK/documents.json" || die "the emulator's document does not have $BYTES bytes"

    # The upload alone, from the outbox's millisecond timestamps: job created (claim) -> delivery recorded.
    if command -v sqlite3 >/dev/null; then
        deadline=$((SECONDS + 30))
        until phases=$(sqlite3 -readonly "$WORK/spool/outbox.sqlite" \
            "SELECT createdAt, updatedAt FROM job WHERE state = 'delivered' ORDER BY id DESC LIMIT 1") &&
            [[ -n $phases ]] && ((${phases%%|*} >= t0_ms)); do
            ((SECONDS < deadline)) || die "the outbox did not record the delivery within 30 s"
            nap 0.02
        done
        IFS='|' read -r committed delivered <<<"$phases"
        upload_runs+=("$(calc "($delivered - $committed) / 1000")")
        committed_runs+=("$(calc "($committed - $t0_ms) / 1000")")
    fi
done
peak_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)
rss_after_kb=$(proc_status_kb "$DAEMON_PID" VmRSS)

daemon_s=$(median "${daemon_runs[@]}")
curl_f_s=$(median "${curl_f_runs[@]}")
curl_t_s=$(median "${curl_t_runs[@]}")

echo
echo "large: one file of $BYTES bytes ($mb MB), median of $RUNS runs"
machine_line
printf '%-40s %9s %9s   %s\n' "contender" "seconds" "MB/s" "each run (s)"
printf '%-40s %9s %9s   %s\n' "spoolbridge (drop -> received)" "$daemon_s" "$(calc "$mb / $daemon_s")" "${daemon_runs[*]}"
if ((${#upload_runs[@]} > 0)); then
    upload_s=$(median "${upload_runs[@]}")
    printf '%-40s %9s %9s   %s\n' "  of which job created -> delivered" "$upload_s" "$(calc "$mb / $upload_s")" "${upload_runs[*]}"
fi
printf '%-40s %9s %9s   %s\n' "curl -F (start -> received)" "$curl_f_s" "$(calc "$mb / $curl_f_s")" "${curl_f_runs[*]}"
curl_exit_s=$(median "${curl_exit_runs[@]}")
printf '%-40s %9s %9s   %s\n' "  curl -F (start -> curl exits)" "$curl_exit_s" "$(calc "$mb / $curl_exit_s")" "${curl_exit_runs[*]}"
printf '%-40s %9s %9s   %s\n' "curl -T (raw PUT, transfer only)" "$curl_t_s" "$(calc "$mb / $curl_t_s")" "${curl_t_runs[*]}"
echo "ratio spoolbridge / curl -F: $(calc "$curl_f_s / $daemon_s")x   (target >= 0.95x; per run: $(
    for ((i = 0; i < RUNS; i++)); do printf '%s ' "$(calc "${curl_f_runs[i]} / ${daemon_runs[i]}")"; done))"
echo "CPU seconds per run (the two share 2 cores): spoolbridge ${daemon_cpu_runs[*]} with the emulator ${emu_daemon_cpu_runs[*]};" \
    "curl -F ${curl_cpu_runs[*]} with the emulator ${emu_curl_cpu_runs[*]}"
echo "ratio spoolbridge / curl -T: $(calc "$curl_t_s / $daemon_s")x"
if ((${#committed_runs[@]} > 0)); then
    echo "drop -> job created (settle time + coalescing): $(median "${committed_runs[@]}") s (each run: ${committed_runs[*]})"
fi
echo "daemon peak RSS (VmHWM) over all runs: $(calc "$peak_kb / 1024") MiB (target <= 64 MiB);" \
    "VmHWM after start-up $(calc "$rss_start_kb / 1024") MiB, VmRSS at the end $(calc "$rss_after_kb / 1024") MiB"
