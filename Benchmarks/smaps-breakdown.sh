#!/usr/bin/env bash
# Where a running process's resident memory sits: /proc/PID/smaps summed per mapping (the binary, each
# library, the main heap, thread stacks, malloc arenas, other anonymous memory), largest first, in KiB.
# Thread stacks are the anonymous mappings that hold a thread's stack pointer (from
# /proc/PID/task/*/syscall); malloc arenas are anonymous mappings that start on a 64 MiB boundary (glibc
# maps each per-thread arena heap aligned to its 64 MiB maximum).
# Usage: Benchmarks/smaps-breakdown.sh PID
set -euo pipefail
pid=${1:?usage: smaps-breakdown.sh PID}
[[ -r /proc/$pid/smaps ]] || { echo "smaps-breakdown: cannot read /proc/$pid/smaps" >&2; exit 1; }

exe=$(readlink "/proc/$pid/exe" || true)
# Stack pointers of the threads, as 16-digit lower-case hex (compared as strings: mawk has no strtonum).
sps=""
for f in /proc/"$pid"/task/*/syscall; do
    read -r -a fields <"$f" 2>/dev/null || continue
    ((${#fields[@]} >= 3)) || continue   # "running": no stack pointer to read
    sp=${fields[${#fields[@]} - 2]}
    sp=${sp#0x}
    sps+=" $(printf '%016s' "$sp" | tr ' A-F' '0a-f')"
done

awk -v exe="$exe" -v sps="$sps" '
function pad(h) { h = tolower(h); while (length(h) < 16) h = "0" h; return h }
function flush() {
    if (name == "") return
    rss[name] += r; anon[name] += a; pss[name] += p; size[name] += s; maps[name]++
    name = ""
}
BEGIN { nsp = split(sps, sp, " ") }
/^[0-9a-f]+-[0-9a-f]+ / {
    flush()
    split($1, range, "-"); lo = pad(range[1]); hi = pad(range[2])
    path = ""; for (i = 6; i <= NF; i++) path = path (i > 6 ? " " : "") $i
    if (path == exe && exe != "") name = "binary " path
    else if (path ~ /^\//) { n = split(path, parts, "/"); name = parts[n] }
    else if (path == "[heap]") name = "[heap] (main malloc arena)"
    else if (path == "[stack]") name = "[stack] (main thread)"
    else if (path ~ /^\[(vvar|vdso|vsyscall)/) name = "[vdso/vvar]"
    else if (path != "") name = path
    else {
        name = "anonymous, other"
        for (i = 1; i <= nsp; i++) if (sp[i] >= lo && sp[i] < hi) name = "thread stacks (other threads)"
        if (name == "anonymous, other" && substr(lo, 11, 6) == "000000" && index("048c", substr(lo, 10, 1)) > 0)
            name = "malloc arenas (per-thread heaps)"
    }
    r = a = p = s = 0
    next
}
$1 == "Size:" { s = $2 } $1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 } $1 == "Anonymous:" { a = $2 }
END {
    flush()
    for (n in rss) { tr += rss[n]; ta += anon[n]; tp += pss[n] }
    printf "%9s %9s %9s %10s %5s  %s\n", "Rss KiB", "Anon KiB", "Pss KiB", "Size KiB", "maps", "mapping"
    for (n in rss) if (rss[n] > 0) printf "%9d %9d %9d %10d %5d  %s\n", rss[n], anon[n], pss[n], size[n], maps[n], n | "sort -k1,1nr"
    close("sort -k1,1nr")
    printf "%9d %9d %9d %10s %5s  %s\n", tr, ta, tp, "", "", "total"
}' "/proc/$pid/smaps"
