#!/usr/bin/env bash
# Idle: the daemon with one empty hot folder and nothing queued. From "spoolbridge is running", over
# IDLE_SECONDS (default 60): its CPU time (utime + stime of /proc/PID/stat), its wake-ups (voluntary +
# nonvoluntary context switches summed over /proc/PID/task/*/status) and its RSS.
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

# One line per thread: "TID NAME VOLUNTARY NONVOLUNTARY".
thread_switches() {
    local task
    for task in /proc/"$DAEMON_PID"/task/*; do
        awk -v tid="${task##*/}" '
            $1 == "Name:" { name = $2 }
            $1 == "voluntary_ctxt_switches:" { v = $2 }
            $1 == "nonvoluntary_ctxt_switches:" { n = $2 }
            END { print tid, name, v, n }' "$task/status" 2>/dev/null || true
    done
}

cpu0=$(proc_cpu_ticks "$DAEMON_PID")
thread_switches >"$WORK/switches.0"
threads0=$(wc -l <"$WORK/switches.0")
t0=$EPOCHREALTIME
note "measuring the idle daemon for $DURATION s"
nap "$DURATION"
kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited during the measurement: $(tail -5 "$WORK/daemon.log")"
cpu1=$(proc_cpu_ticks "$DAEMON_PID")
thread_switches >"$WORK/switches.1"
elapsed=$(calc "$EPOCHREALTIME - $t0")
rss_kb=$(proc_status_kb "$DAEMON_PID" VmRSS)
hwm_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)
threads1=$(wc -l <"$WORK/switches.1")

# Per thread, the increase; threads that started during the window count from zero.
per_thread=$(awk '
    NR == FNR { v0[$1] = $3; n0[$1] = $4; next }
    { dv = $3 - v0[$1]; dn = $4 - n0[$1]; print $1, $2, dv, dn, dv + dn }' "$WORK/switches.0" "$WORK/switches.1")
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
printf '%-34s %12s\n' "peak RSS (VmHWM)" "$(calc "$hwm_kb / 1024") MiB"
printf '%-34s %12s\n' "threads (start -> end)" "$threads0 -> $threads1"
printf '%-34s %12s\n' "daemon log lines in total" "$log_lines"
echo "threads that woke (tid name voluntary nonvoluntary):"
awk '$5 > 0 { printf "  %s %s %d %d\n", $1, $2, $3, $4 }' <<<"$per_thread"
