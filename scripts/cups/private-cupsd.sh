#!/bin/sh
# A private cupsd for tests and benchmarks: its own ServerRoot, ServerBin, spool and logs under
# one directory, listening only on a Unix socket in that directory. It never touches the system
# cupsd (no /etc/cups, no /etc/printcap, no port). Must run as root: cupsd drops to `lp` itself.
#
#   private-cupsd.sh start DIR [options]   prepare DIR, start cupsd, wait until it answers;
#                                          prints the server address for `lp -h` / `lpadmin -h`
#     --backend NAME=PATH     install PATH as DIR/bin/backend/NAME (root-owned; repeatable)
#     --backend-mode MODE     mode of installed backends (default 0755: runs as lp; 0700: root)
#     --filter NAME=PATH      install PATH as DIR/bin/filter/NAME (root-owned, 0755; repeatable)
#     --env NAME=VALUE        SetEnv for filters and backends (repeatable)
#     --retry-interval SECS   JobRetryInterval (default 1, so retried jobs do not wait minutes)
#     --log-level LEVEL       cupsd LogLevel (default debug: the backends' DEBUG lines are logged)
#   private-cupsd.sh stop DIR              stop that cupsd (by its recorded pid) and wait
#
# Clients: `lpadmin -h DIR/cups.sock ...`, `lp -h DIR/cups.sock ...`, `lpstat -h DIR/cups.sock ...`.
set -eu

usage() { sed -n '2,17p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1 dir=$2
shift 2

stop() {
    [ -f "$dir/cupsd.pid" ] || return 0
    pid=$(cat "$dir/cupsd.pid")
    if kill "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/cupsd.pid"
}

case $command in
stop) stop; exit 0 ;;
start) ;;
*) usage ;;
esac

[ "$(id -u)" = 0 ] || { echo "private-cupsd: must run as root (cupsd switches to lp itself)" >&2; exit 77; }
cupsd=$(command -v cupsd || echo /usr/sbin/cupsd)
[ -x "$cupsd" ] || { echo "private-cupsd: cupsd not found (apt-get install cups-daemon cups-client)" >&2; exit 77; }

backend_mode=0755 retry=1 log_level=debug backends="" filters="" envs=""
while [ $# -gt 0 ]; do
    case $1 in
    --backend) backends="$backends
$2"; shift 2 ;;
    --backend-mode) backend_mode=$2; shift 2 ;;
    --filter) filters="$filters
$2"; shift 2 ;;
    --env) envs="$envs
$2"; shift 2 ;;
    --retry-interval) retry=$2; shift 2 ;;
    --log-level) log_level=$2; shift 2 ;;
    *) usage ;;
    esac
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# lp (backends, filters) must be able to traverse DIR; everything cupsd reads must be root-owned.
chown root:root "$dir"
chmod 0755 "$dir"
mkdir -p "$dir/root/ppd" "$dir/bin/backend" "$dir/bin/filter" "$dir/spool" "$dir/tmp" "$dir/cache" "$dir/state" "$dir/log"
chmod 0755 "$dir/root" "$dir/bin" "$dir/bin/backend" "$dir/bin/filter" "$dir/log"
for sub in cgi-bin daemon driver monitor notifier; do
    [ -e "$dir/bin/$sub" ] || [ -L "$dir/bin/$sub" ] || ln -s "/usr/lib/cups/$sub" "$dir/bin/$sub"
done
# The system's filters stay usable next to the ones a test installs.
for filter in /usr/lib/cups/filter/*; do
    [ -e "$filter" ] || continue
    [ -e "$dir/bin/filter/${filter##*/}" ] || ln -s "$filter" "$dir/bin/filter/${filter##*/}"
done

install_program() { # SPEC FOLDER MODE
    [ -n "$1" ] || return 0
    name=${1%%=*} path=${1#*=}
    cp "$path" "$2/$name.new"
    chown root:root "$2/$name.new"
    chmod "$3" "$2/$name.new"
    mv -f "$2/$name.new" "$2/$name"
}
echo "$backends" | while IFS= read -r spec; do install_program "$spec" "$dir/bin/backend" "$backend_mode"; done
echo "$filters" | while IFS= read -r spec; do install_program "$spec" "$dir/bin/filter" 0755; done

{
    echo "ServerRoot $dir/root"
    echo "ServerBin $dir/bin"
    echo "DataDir /usr/share/cups"
    echo "RequestRoot $dir/spool"
    echo "TempDir $dir/tmp"
    echo "CacheDir $dir/cache"
    echo "StateDir $dir/state"
    echo "AccessLog $dir/log/access_log"
    echo "ErrorLog $dir/log/error_log"
    echo "PageLog $dir/log/page_log"
    echo "LogFilePerm 0644"
    echo "Printcap $dir/printcap"
    echo "User lp"
    echo "Group lp"
    echo "SystemGroup root"
    echo "FileDevice No"
    echo "$envs" | while IFS= read -r pair; do
        if [ -n "$pair" ]; then echo "SetEnv ${pair%%=*} ${pair#*=}"; fi
    done
} > "$dir/cups-files.conf"

cat > "$dir/cupsd.conf" <<CONF
LogLevel $log_level
Listen $dir/cups.sock
Browsing No
WebInterface No
DefaultAuthType None
JobRetryInterval $retry
JobRetryLimit 1000
ErrorPolicy retry-job
PreserveJobHistory Yes
MaxLogSize 0
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF
chmod 0644 "$dir/cups-files.conf" "$dir/cupsd.conf"

stop
"$cupsd" -f -c "$dir/cupsd.conf" -s "$dir/cups-files.conf" >"$dir/log/cupsd.out" 2>&1 &
echo $! > "$dir/cupsd.pid"

i=0
until lpstat -h "$dir/cups.sock" -r >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/cupsd.pid")" 2>/dev/null; then
        echo "private-cupsd: cupsd exited; see $dir/log/error_log and $dir/log/cupsd.out" >&2
        cat "$dir/log/cupsd.out" >&2 || true
        exit 1
    fi
    i=$((i + 1))
    [ $i -lt 200 ] || { echo "private-cupsd: cupsd did not answer within 20 s" >&2; stop; exit 1; }
    sleep 0.1
done
echo "$dir/cups.sock"
