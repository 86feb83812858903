# Shared helpers for the benchmark scripts in this folder; sourced, not run.
# Everything stays on loopback and under one temporary directory that the EXIT trap removes,
# together with every process these helpers started.

export LC_ALL=C
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SPOOLBRIDGE_BIN_DIR:-$BENCH_ROOT/.build-release/release}
BENCH_PIDS=()
WORK=""

die() { echo "error: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

# Floating-point helpers (bash has integers only).
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
now() { echo "$EPOCHREALTIME"; }

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf -- "$WORK"
    return 0
}

# Installs the Debian packages a benchmark needs when their commands are missing.
# Arguments: pairs of COMMAND:PACKAGE.
need_commands() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    done
    ((${#missing[@]} == 0)) && return 0
    note "installing ${missing[*]}"
    local sudo=""
    ((EUID == 0)) || sudo=sudo
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
        || die "cannot install ${missing[*]}; install them with apt-get and run again"
}

# Release binaries: built (incrementally) unless BENCH_SKIP_BUILD=1 or SPOOLBRIDGE_BIN_DIR is given.
bench_build() {
    if [[ -z "${SPOOLBRIDGE_BIN_DIR:-}" && "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
        local product
        for product in spoolbridge spoolbridge-emulator; do
            note "swift build -c release --product $product"
            (cd "$BENCH_ROOT" && swift build -c release --scratch-path .build-release --product "$product" >&2) \
                || die "release build of $product failed"
        done
    fi
    [[ -x "$BIN/spoolbridge" && -x "$BIN/spoolbridge-emulator" ]] \
        || die "no spoolbridge / spoolbridge-emulator in $BIN; build them or set SPOOLBRIDGE_BIN_DIR"
}

# Creates $WORK, the API key files and a FIFO used as a fork-free sleep.
bench_init() {
    ((BASH_VERSINFO[0] >= 5)) || die "bash 5 or newer is needed (EPOCHREALTIME)"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/spoolbridge-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    umask 077
    # A throwaway key for the loopback emulator; never a real one.
    printf '%s' "bench-api-key-$RANDOM$RANDOM" >"$WORK/api-key"
    # For curl: the header comes from a file (-H @FILE), so the key is not in any argv.
    printf 'X-Api-Key: %s\n' "$(<"$WORK/api-key")" >"$WORK/api-key.header"
    mkfifo "$WORK/sleep.fifo"
    exec {SLEEP_FD}<>"$WORK/sleep.fifo"
}

# Sleeps without forking a process (the polling loops must not load the 2-core machine).
nap() { read -r -t "$1" -u "$SLEEP_FD" _ || true; }

# Starts the emulator on a free loopback port; sets EMU_PID, EMU_PORT, EMU_URL.
start_emulator() {
    "$BIN/spoolbridge-emulator" --port 0 --api-key-file "$WORK/api-key" >"$WORK/emulator.out" 2>"$WORK/emulator.err" &
    EMU_PID=$!
    BENCH_PIDS+=("$EMU_PID")
    local deadline=$((SECONDS + 20)) line=""
    until line=$(grep -m1 '^listening on ' "$WORK/emulator.out" 2>/dev/null); do
        kill -0 "$EMU_PID" 2>/dev/null || die "the emulator exited: $(cat "$WORK/emulator.err")"
        ((SECONDS < deadline)) || die "the emulator did not start within 20 s"
        nap 0.02
    done
    EMU_URL=${line#listening on }
    EMU_PORT=${EMU_URL##*:}
}

# A fork-free HTTP request to the emulator's control endpoints; sets HTTP_BODY.
emulator_request() {
    local method=$1 path=$2 fd response
    exec {fd}<>"/dev/tcp/127.0.0.1/$EMU_PORT" || die "cannot connect to the emulator on port $EMU_PORT"
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' "$method" "$path" >&"$fd"
    IFS= read -r -d '' -u "$fd" response || true
    exec {fd}>&-
    HTTP_BODY=${response#*$'\r\n\r\n'}
}

emulator_reset() { emulator_request POST /_emulator/reset; }

# Sets EMU_DOCUMENTS from GET /_emulator/stats, and FIRST_AT / LAST_AT (EPOCHREALTIME form, seconds) to when
# the emulator had wholly received its first and last document since the last reset (empty when none).
emulator_count() {
    emulator_request GET /_emulator/stats
    [[ $HTTP_BODY =~ \"documents\"\ *:\ *([0-9]+) ]] || die "unexpected /_emulator/stats answer: $HTTP_BODY"
    EMU_DOCUMENTS=${BASH_REMATCH[1]}
    FIRST_AT='' LAST_AT=''
    if [[ $HTTP_BODY =~ \"firstDocumentAtMicroseconds\"\ *:\ *([0-9]+) ]]; then FIRST_AT=$(micros_to_seconds "${BASH_REMATCH[1]}"); fi
    if [[ $HTTP_BODY =~ \"lastDocumentAtMicroseconds\"\ *:\ *([0-9]+) ]]; then LAST_AT=$(micros_to_seconds "${BASH_REMATCH[1]}"); fi
}

micros_to_seconds() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

# Waits until the emulator holds at least N documents; sets DONE_AT to when it had received the last of them
# (the emulator's own clock reading, not the moment this loop noticed, so the 20 ms between looks neither adds
# to the figure nor, asking less often, takes much CPU from the contender being timed), and FIRST_AT.
# Arguments: N, deadline in seconds.
wait_for_documents() {
    local want=$1 deadline=$((SECONDS + $2))
    while :; do
        emulator_count
        if ((EMU_DOCUMENTS >= want)); then
            # An emulator built before the receipt times were reported: the moment of this look.
            DONE_AT=${LAST_AT:-$EPOCHREALTIME}
            FIRST_AT=${FIRST_AT:-$DONE_AT}
            return 0
        fi
        ((SECONDS < deadline)) || die "only $EMU_DOCUMENTS of $want documents reached the emulator within $2 s"
        nap 0.02
    done
}

# Writes a daemon configuration. Arguments: FILE, SPOOL, HOT FOLDER, extra [spool] lines.
write_config() {
    local file=$1 spool=$2 hot=$3 extra=${4:-}
    mkdir -p "$hot"
    cat >"$file" <<CONF
[cloud]
url = "$EMU_URL"
api_key_file = "$WORK/api-key"

[spool]
directory = "$spool"
min_free_mb = 0
$extra

[delivery]
concurrency = ${BENCH_CONCURRENCY:-4}

[cups]
enabled = false

[[hotfolder]]
path = "$hot"
port = "Bench"
user = "bench"
failed = "$hot-failed"
${BENCH_ARCHIVE:+archive = \"$hot-archive\"}
CONF
}

# Starts `spoolbridge run` and waits for "spoolbridge is running"; sets DAEMON_PID.
# Arguments: config file, log file.
start_daemon() {
    local config=$1 log=$2
    "$BIN/spoolbridge" run --config "$config" 2>"$log" &
    DAEMON_PID=$!
    BENCH_PIDS+=("$DAEMON_PID")
    local deadline=$((SECONDS + 30))
    until grep -qs 'spoolbridge is running' "$log"; do
        kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited: $(tail -5 "$log")"
        ((SECONDS < deadline)) || die "the daemon did not report running within 30 s: $(tail -5 "$log")"
        nap 0.01
    done
}

# Stops a process this script started and waits for it.
stop_process() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# One field of /proc/PID/status in kB (VmRSS, VmHWM, ...).
proc_status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

# CPU time (utime + stime, all threads) of a process in clock ticks. Field 2 (comm) may hold spaces,
# so fields are counted after its closing parenthesis: utime and stime are fields 14 and 15.
proc_cpu_ticks() {
    local stat rest fields
    stat=$(<"/proc/$1/stat")
    rest=${stat##*) }
    read -r -a fields <<<"$rest"
    echo $((fields[11] + fields[12]))
}
CLOCK_TICKS=$(getconf CLK_TCK)

machine_line() {
    echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d" " -f1-3 /proc/loadavg)"
}
