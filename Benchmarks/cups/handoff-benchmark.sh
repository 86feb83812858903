#!/bin/sh
# CUPS handoff benchmark: JOBS jobs of SIZE_KB through one private cupsd, into the spoolbridge
# backend (which hands each job to a running `spoolbridge run` daemon and waits for its durable OK)
# and into a trivial `cat > file` backend, alternating for ROUNDS rounds.
#
#   Benchmarks/cups/handoff-benchmark.sh [JOBS [SIZE_KB [ROUNDS]]]      (defaults 100 100 2; as root)
#
# Per round and queue: disable the queue, submit all jobs with lp, enable it, and time until the
# queue is empty; per-job time = that / JOBS. The daemon uploads to the cloud emulator meanwhile,
# as in production; each round starts once the previous round's uploads are done. Then both
# backends run directly, JOBS times each, as CUPS runs them (as lp, spool file in argv[6]).
# Fails only when something is wrong (a job not delivered exactly once), never on a slow figure.
# Executables: $SPOOLBRIDGE_BIN_DIR, else a release build with the static Swift runtime (as
# packaged) is made in .build-release.
set -eu
jobs=${1:-100} size_kb=${2:-100} rounds=${3:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root (a private cupsd switches to lp)" >&2; exit 77; }
command -v curl >/dev/null || apt-get install -y curl >/dev/null
command -v cupsd >/dev/null && command -v lp >/dev/null || apt-get install -y cups-daemon cups-client >/dev/null

if [ -n "${SPOOLBRIDGE_BIN_DIR:-}" ]; then
    bin=$SPOOLBRIDGE_BIN_DIR
else
    for product in spoolbridge-backend spoolbridge spoolbridge-emulator; do
        (cd "$root" && swift build -c release --scratch-path .build-release --static-swift-stdlib --product "$product" >/dev/null)
    done
    bin=$(cd "$root" && swift build -c release --scratch-path .build-release --show-bin-path)
fi

work=$(mktemp -d /tmp/sbbench.XXXXXX)
chmod 0755 "$work"
mkdir -p "$work/catout" && chown lp "$work/catout"
daemon_pid="" emulator_pid=""
cleanup() {
    "$root/scripts/cups/private-cupsd.sh" stop "$work/cupsd" 2>/dev/null || true
    stop_daemon
    [ -z "$emulator_pid" ] || kill "$emulator_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
ms() { awk -v ns="$1" -v n="$2" 'BEGIN { printf "%.2f", ns / n / 1000000 }'; }

echo "bench-key" > "$work/api-key" && chmod 0600 "$work/api-key"
"$bin/spoolbridge-emulator" --port 0 --api-key-file "$work/api-key" > "$work/emulator.out" 2>&1 &
emulator_pid=$!
until grep -q "listening on" "$work/emulator.out" 2>/dev/null; do sleep 0.05; done
emulator_url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out")
socket=$work/backend.sock

start_daemon() { # CLOUD_URL
    cat > "$work/spoolbridge.toml" <<CONF
[cloud]
url = "$1"
api_key_file = "$work/api-key"
allow_insecure_http = true
[spool]
directory = "$work/spool"
min_free_mb = 1
[cups]
socket = "$socket"
[log]
level = "error"
CONF
    "$bin/spoolbridge" run --config "$work/spoolbridge.toml" 2>> "$work/daemon.log" &
    daemon_pid=$!
    i=0
    until [ -S "$socket" ]; do
        i=$((i + 1)); [ $i -lt 400 ] || { cat "$work/daemon.log" >&2; exit 1; }
        sleep 0.05
    done
}
stop_daemon() {
    [ -n "$daemon_pid" ] || return 0
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=""
}

cat > "$work/catfile" <<'SH'
#!/bin/sh
[ $# -eq 0 ] && { echo 'network catfile "Unknown" "cat > file"'; exit 0; }
if [ $# -ge 6 ]; then cat "$6"; else cat; fi > "$CATFILE_DIR/job-$1"
SH
chmod 0755 "$work/catfile"

server=$("$root/scripts/cups/private-cupsd.sh" start "$work/cupsd" --log-level warn \
    --backend spoolbridge="$bin/spoolbridge-backend" --backend catfile="$work/catfile" \
    --env SPOOLBRIDGE_SOCKET="$socket" --env CATFILE_DIR="$work/catout")
admin() { out=$(lpadmin -h "$server" "$@" 2>&1) || { echo "lpadmin $*: $out" >&2; exit 1; }; }
admin -p Bridge -E -v spoolbridge:/Bench -m raw
admin -p Cat -E -v catfile:/out -m raw

# A PDF-looking document of SIZE_KB (CUPS types it application/pdf; the title gets .pdf).
{ printf '%%PDF-1.4\n%% '; head -c $((size_kb * 1024)) /dev/urandom | base64 -w 0 | head -c $((size_kb * 1024 - 20)); printf '\n%%%%EOF\n'; } > "$work/doc.pdf"
bytes=$(stat -c %s "$work/doc.pdf")

run_queue() { # QUEUE -> prints elapsed ns
    cupsdisable -h "$server" "$1"
    n=0
    while [ $n -lt "$jobs" ]; do
        lp -h "$server" -d "$1" -t "bench-$n" "$work/doc.pdf" >/dev/null
        n=$((n + 1))
    done
    start=$(now_ns)
    cupsenable -h "$server" "$1"
    while [ -n "$(lpstat -h "$server" -o "$1")" ]; do sleep 0.01; done
    echo $(($(now_ns) - start))
}

phase() { # NAME
    cat_total=0 bridge_total=0 r=1
    while [ $r -le "$rounds" ]; do
        # Start each round with the previous round's uploads finished.
        while [ -n "$(ls "$work/spool/payloads" 2>/dev/null)" ]; do sleep 0.1; done
        cat_ns=$(run_queue Cat)
        bridge_ns=$(run_queue Bridge)
        cat_total=$((cat_total + cat_ns)) bridge_total=$((bridge_total + bridge_ns))
        echo "  $1, round $r: cat > file $(ms "$cat_ns" "$jobs") ms/job, spoolbridge $(ms "$bridge_ns" "$jobs") ms/job"
        r=$((r + 1))
    done
    echo "  $1, mean: cat > file $(ms "$cat_total" $((jobs * rounds))) ms/job, spoolbridge $(ms "$bridge_total" $((jobs * rounds))) ms/job, ratio $(awk -v a="$bridge_total" -v b="$cat_total" 'BEGIN { printf "%.2f", a / b }')x"
}

echo "CUPS handoff benchmark: $jobs jobs of $bytes bytes per queue and round, $rounds rounds, $(nproc) cores"
echo "backend: $bin/spoolbridge-backend ($(stat -c %s "$bin/spoolbridge-backend") bytes)"
echo "through cupsd:"
start_daemon "$emulator_url"
phase "lp to completed"
while [ -n "$(ls "$work/spool/payloads" 2>/dev/null)" ]; do sleep 0.1; done
delivered=$(curl -s "$emulator_url/_emulator/documents" | grep -o '"sha256"' | wc -l)
echo "  ($delivered of $((jobs * rounds)) documents reached the emulator)"
[ "$delivered" -eq $((jobs * rounds)) ] || { echo "FAILED: expected $((jobs * rounds)) documents" >&2; exit 1; }

# The backends alone, run the way CUPS runs them (as lp, spool file as argv[6]), daemon idle.
cp "$work/doc.pdf" "$work/spoolfile" && chmod 0644 "$work/spoolfile"
direct() { # SCHEME BACKEND -> ns for all jobs
    start=$(now_ns)
    n=0
    while [ $n -lt "$jobs" ]; do
        setpriv --reuid=lp --regid=lp --clear-groups env -i DEVICE_URI="$1:/Bench" PRINTER=Direct \
            SPOOLBRIDGE_SOCKET="$socket" CATFILE_DIR="$work/catout" CONTENT_TYPE=application/pdf \
            "$2" "$((100000 + n))" alice "direct-$n" 1 "job-uuid=urn:uuid:direct-$1-$n-$$" "$work/spoolfile" 2>/dev/null
        n=$((n + 1))
    done
    echo $(($(now_ns) - start))
}
direct_cat=$(direct catfile "$work/catfile")
direct_bridge=$(direct spoolbridge "$bin/spoolbridge-backend")
echo "backends alone (each run via setpriv + env): cat > file $(ms "$direct_cat" "$jobs") ms/job, spoolbridge $(ms "$direct_bridge" "$jobs") ms/job"

# Where the backend's time goes: process start-up alone (no job), N runs each.
startup() { # COMMAND... -> ms per run
    start=$(now_ns)
    n=0
    while [ $n -lt "$jobs" ]; do "$@" >/dev/null 2>&1 || true; n=$((n + 1)); done
    ms $(($(now_ns) - start)) "$jobs"
}
printf '#include <cups/cups.h>\nint main(int c, char **v) { cups_option_t *o; int n = cupsParseOptions(c > 1 ? v[1] : "a=b", 0, &o); cupsFreeOptions(n, o); return 0; }\n' > "$work/cupsonly.c"
compiler=$(command -v cc || command -v clang || true)
cupsonly=""
if [ -n "$compiler" ] && "$compiler" -O2 -o "$work/cupsonly" "$work/cupsonly.c" -lcups 2>/dev/null; then
    cupsonly=" | C program calling only cupsParseOptions $(startup "$work/cupsonly") ms"
fi
echo "start-up per process: /bin/true $(startup /bin/true) ms | sh -c true $(startup /bin/sh -c true) ms$cupsonly | spoolbridge-backend (discovery) $(startup "$bin/spoolbridge-backend") ms"
