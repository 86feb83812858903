#!/bin/sh
# CUPS handoff benchmark: JOBS jobs of SIZE_KB through a private cupsd, once into the spoolbridge
# backend (which hands each job to a running `spoolbridge run` daemon and waits for its durable OK)
# and once into a trivial `cat > file` backend, in the same cupsd, alternating for ROUNDS rounds.
#
#   Benchmarks/cups/handoff-benchmark.sh [JOBS [SIZE_KB [ROUNDS]]]      (defaults 100 100 2; root)
#
# Per round and queue: disable the queue, submit all jobs with lp, enable it, and time until the
# queue is empty; per-job time = that / JOBS. Also times the two backends run directly (no cupsd),
# which shows the backend's own cost. Executables: $SPOOLBRIDGE_BIN_DIR, else a release build with
# the static Swift runtime (as packaged) is made in .build/release.
set -eu
jobs=${1:-100} size_kb=${2:-100} rounds=${3:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run as root (a private cupsd switches to lp)" >&2; exit 77; }

if [ -n "${SPOOLBRIDGE_BIN_DIR:-}" ]; then
    bin=$SPOOLBRIDGE_BIN_DIR
else
    (cd "$root" && swift build -c release --static-swift-stdlib \
        --product spoolbridge-backend >/dev/null && swift build -c release --static-swift-stdlib \
        --product spoolbridge >/dev/null && swift build -c release --product spoolbridge-emulator >/dev/null)
    bin=$(cd "$root" && swift build -c release --show-bin-path)
fi

work=$(mktemp -d /tmp/sbbench.XXXXXX)
chmod 0755 "$work"
mkdir -p "$work/catout" && chown lp "$work/catout"
cleanup() {
    "$root/scripts/cups/private-cupsd.sh" stop "$work/cupsd" 2>/dev/null || true
    [ -n "${daemon_pid:-}" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    [ -n "${emulator_pid:-}" ] && kill "$emulator_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

now_ns() { date +%s%N; }
ms() { echo "$1" | awk '{ printf "%.2f", $1 / 1000000 }'; }

# The cloud emulator and the daemon.
echo "bench-key" > "$work/api-key" && chmod 0600 "$work/api-key"
"$bin/spoolbridge-emulator" --port 0 --api-key-file "$work/api-key" > "$work/emulator.out" 2>&1 &
emulator_pid=$!
until grep -q "listening on" "$work/emulator.out" 2>/dev/null; do sleep 0.05; done
url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$work/emulator.out")
socket=$work/backend.sock
cat > "$work/spoolbridge.toml" <<CONF
[cloud]
url = "$url"
api_key_file = "$work/api-key"
allow_insecure_http = true
[spool]
directory = "$work/spool"
min_free_mb = 1
[cups]
socket = "$socket"
[log]
level = "warning"
CONF
"$bin/spoolbridge" run --config "$work/spoolbridge.toml" 2> "$work/daemon.log" &
daemon_pid=$!
i=0
until [ -S "$socket" ]; do
    i=$((i + 1)); [ $i -lt 400 ] || { cat "$work/daemon.log" >&2; exit 1; }
    sleep 0.05
done

# The trivial comparison backend.
cat > "$work/catfile" <<'SH'
#!/bin/sh
[ $# -eq 0 ] && { echo 'network catfile "Unknown" "cat > file"'; exit 0; }
if [ $# -ge 6 ]; then cat "$6"; else cat; fi > "$CATFILE_DIR/job-$1"
SH
chmod 0755 "$work/catfile"

server=$("$root/scripts/cups/private-cupsd.sh" start "$work/cupsd" --log-level warn \
    --backend spoolbridge="$bin/spoolbridge-backend" --backend catfile="$work/catfile" \
    --env SPOOLBRIDGE_SOCKET="$socket" --env CATFILE_DIR="$work/catout")
lpadmin -h "$server" -p Bridge -E -v spoolbridge:/Bench -m raw 2>/dev/null
lpadmin -h "$server" -p Cat -E -v catfile:/out -m raw 2>/dev/null

# A PDF-looking document of SIZE_KB.
{ printf '%%PDF-1.4\n%% '; head -c $((size_kb * 1024 - 40)) /dev/urandom | base64 -w 0 | head -c $((size_kb * 1024 - 40)); printf '\n%%%%EOF\n'; } > "$work/doc.pdf"
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
    while [ -n "$(lpstat -h "$server" -o "$1")" ]; do sleep 0.02; done
    echo $(($(now_ns) - start))
}

echo "CUPS handoff benchmark: $jobs jobs of $bytes bytes per queue, $rounds rounds, $(nproc) cores"
echo "backend: $bin/spoolbridge-backend ($(stat -c %s "$bin/spoolbridge-backend") bytes)"
total_bridge=0 total_cat=0
r=1
while [ $r -le "$rounds" ]; do
    cat_ns=$(run_queue Cat)
    bridge_ns=$(run_queue Bridge)
    total_cat=$((total_cat + cat_ns)) total_bridge=$((total_bridge + bridge_ns))
    echo "round $r: cat > file $(ms $((cat_ns / jobs))) ms/job, spoolbridge $(ms $((bridge_ns / jobs))) ms/job"
    r=$((r + 1))
done
completed=$(lpstat -h "$server" -W completed -o Bridge | wc -l)
echo "through cupsd (mean): cat > file $(ms $((total_cat / jobs / rounds))) ms/job," \
    "spoolbridge $(ms $((total_bridge / jobs / rounds))) ms/job," \
    "ratio $(echo "$total_bridge $total_cat" | awk '{ printf "%.2f", $1 / $2 }')x ($completed Bridge jobs completed)"

# The backends alone, run the way CUPS runs them (as lp, spool file as argv[6]).
cp "$work/doc.pdf" "$work/spoolfile" && chmod 0644 "$work/spoolfile"
direct() { # NAME BACKEND -> ns for all jobs
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
echo "backend alone: cat > file $(ms $((direct_cat / jobs))) ms/job, spoolbridge $(ms $((direct_bridge / jobs))) ms/job"
