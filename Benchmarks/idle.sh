#!/usr/bin/env bash
# Idle: the daemon with one empty hot folder and nothing queued. From "spoolbridge is running", over
# IDLE_SECONDS (default 60): its CPU time (utime + stime of /proc/PID/stat), its wake-ups (voluntary +
# nonvoluntary context switches summed over /proc/PID/task/*/status) and its RSS.
# At the end it prints the resident memory per mapping (smaps-breakdown.sh).
# Env: IDLE_SECONDS, BENCH_SKIP_BUILD=1, SPOOLBRIDGE_BIN_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${IDLE_SECONDS:-60}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "IDLE_SECONDS must be a whole number of seconds, not $DURATION"

bench_build
bench_init
start_emulator
write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"

# Per thread, the latest voluntary / nonvoluntary context-switch counts seen. Sampled every half second with
# bash builtins only (no process is forked), so a thread that exits during the window still counts up to
# its last sample; the daemon is not disturbed by being read.
declare -A first_v first_n last_v last_n names
sample_threads() { # $1 = "start" to record the baseline
    local task tid line v n name
    for task in /proc/"$DAEMON_PID"/task/*; do
        tid=${task##*/}
        v="" n="" name=""
        while IFS= read -r line; do
            case $line in
                Name:*) name=${line#Name:}; name=${name//[[:space:]]/} ;;
                voluntary_ctxt_switches:*) v=${line##*[[:space:]]} ;;
                nonvoluntary_ctxt_switches:*) n=${line##*[[:space:]]} ;;
            esac
        done <"$task/status" 2>/dev/null || continue
        [[ -n $v && -n $n ]] || continue
        if [[ ${1:-} == start ]]; then
            first_v[$tid]=$v first_n[$tid]=$n
        elif [[ -z ${first_v[$tid]:-} ]]; then
            first_v[$tid]=0 first_n[$tid]=0  # started during the window
        fi
        last_v[$tid]=$v last_n[$tid]=$n names[$tid]=$name
    done
}

cpu0=$(proc_cpu_ticks "$DAEMON_PID")
sample_threads start
threads0=${#first_v[@]}
t0=$EPOCHREALTIME
end_us=$((${t0/./} + DURATION * 1000000))
note "measuring the idle daemon for $DURATION s"
while ((${EPOCHREALTIME/./} < end_us)); do
    left_us=$((end_us - ${EPOCHREALTIME/./}))
    ((left_us > 0)) || break
    ((left_us < 500000)) && nap "0.$(printf '%06d' "$left_us")" || nap 0.5
    sample_threads
done
kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited during the measurement: $(tail -5 "$WORK/daemon.log")"
cpu1=$(proc_cpu_ticks "$DAEMON_PID")
elapsed=$(calc "$EPOCHREALTIME - $t0")
rss_kb=$(proc_status_kb "$DAEMON_PID" VmRSS)
hwm_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)
anon_kb=$(proc_status_kb "$DAEMON_PID" RssAnon)
file_kb=$(proc_status_kb "$DAEMON_PID" RssFile)
pss_kb=$(awk '$1 == "Pss:" { print $2 }' "/proc/$DAEMON_PID/smaps_rollup" 2>/dev/null || echo 0)
threads1=$(ls /proc/"$DAEMON_PID"/task | wc -l)

per_thread=""
for tid in "${!last_v[@]}"; do
    dv=$((last_v[$tid] - first_v[$tid])) dn=$((last_n[$tid] - first_n[$tid]))
    per_thread+="$tid ${names[$tid]} $dv $dn $((dv + dn))"$'\n'
done
total_switches=$(awk '{ s += $5 } END { print s + 0 }' <<<"$per_thread")
voluntary=$(awk '{ s += $3 } END { print s + 0 }' <<<"$per_thread")
log_lines=$(wc -l <"$WORK/daemon.log")

echo
echo "idle: one empty hot folder, nothing queued, measured for $elapsed s after \"spoolbridge is running\""
machine_line
printf '%-34s %12s %s\n' "measure" "value" "target"
printf '%-34s %12s %s\n' "CPU time (utime+stime)" "$(calc "($cpu1 - $cpu0) / $CLOCK_TICKS") s" "~0 (clock tick = $(calc "1 / $CLOCK_TICKS") s)"
printf '%-34s %12s %s\n' "wake-ups (context switches)" "$total_switches" "($voluntary voluntary)"
printf '%-34s %12s %s\n' "wake-ups per second" "$(calc "$total_switches / $elapsed")" "<= 1"
printf '%-34s %12s %s\n' "RSS (VmRSS) at the end" "$(calc "$rss_kb / 1024") MiB" "<= 30 MiB"
printf '%-34s %12s\n' "  of which anonymous (RssAnon)" "$(calc "$anon_kb / 1024") MiB"
printf '%-34s %12s\n' "  of which file-backed (RssFile)" "$(calc "$file_kb / 1024") MiB"
printf '%-34s %12s\n' "PSS (shared pages divided)" "$(calc "$pss_kb / 1024") MiB"
printf '%-34s %12s\n' "peak RSS (VmHWM)" "$(calc "$hwm_kb / 1024") MiB"
printf '%-34s %12s\n' "threads (start -> end)" "$threads0 -> $threads1"
printf '%-34s %12s\n' "daemon log lines in total" "$log_lines"
echo "threads that woke (tid name voluntary nonvoluntary):"
awk '$5 > 0 { printf "  %s %s %d %d\n", $1, $2, $3, $4 }' <<<"$per_thread"
echo "resident memory per mapping (Benchmarks/smaps-breakdown.sh, at the end):"
"$(dirname "${BASH_SOURCE[0]}")/smaps-breakdown.sh" "$DAEMON_PID" | sed 's/^/  /'
