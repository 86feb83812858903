#!/usr/bin/env bash
# Large file: one 200 MB document (200,000,000 bytes, under max_document_mb = 200 MiB). Throughput of the daemon
# (drop into the hot folder -> the emulator has it) against curl -F (the same multipart upload) and curl -T
# (a raw PUT: the emulator answers 400 for lack of a multipart body, but only after reading all of it, so it
# measures pure transfer) to the same emulator in the same run; and the daemon's peak RSS (VmHWM).
# Env: LARGE_BYTES (default 200000000), BENCH_SKIP_BUILD=1, SPOOLBRIDGE_BIN_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BYTES=${LARGE_BYTES:-200000000}
DEADLINE=${LARGE_DEADLINE_SECONDS:-300}

need_commands curl:curl
bench_build
bench_init
start_emulator

# Outside the hot folder, same filesystem (the drop is a rename), flushed so no run pays for writeback.
head -c "$BYTES" /dev/urandom >"$WORK/large.pdf"
sync
mb=$(calc "$BYTES / 1000000")

# --- curl -F: the same multipart form the daemon sends ----------------------------------------------------
emulator_reset
t0=$EPOCHREALTIME
curl -sS -f -o "$WORK/curl-F.answer" -H @"$WORK/api-key.header" -X PUT \
    -F username=bench -F portname=Bench -F title=large.pdf \
    -F "data=@$WORK/large.pdf;filename=large.pdf;type=application/octet-stream" "$EMU_URL/api/v1/documents"
curl_f_seconds=$(calc "$EPOCHREALTIME - $t0")
emulator_count
((EMU_DOCUMENTS == 1)) || die "curl -F: the emulator did not record the document"

# --- curl -T: raw PUT, no multipart (transfer only) ---------------------------------------------------------
# `Expect:` (empty) stops curl from waiting for 100-continue: the emulator refuses that early, unread.
t0=$EPOCHREALTIME
code=$(curl -sS -o /dev/null -w '%{http_code}' -H @"$WORK/api-key.header" -H 'Expect:' \
    -T "$WORK/large.pdf" "$EMU_URL/api/v1/documents")
curl_t_seconds=$(calc "$EPOCHREALTIME - $t0")
[[ $code == 400 ]] || die "curl -T: expected the emulator's 400 after the whole body, got $code"

# --- The daemon ---------------------------------------------------------------------------------------------
write_config "$WORK/daemon.toml" "$WORK/spool" "$WORK/hot"
start_daemon "$WORK/daemon.toml" "$WORK/daemon.log"
rss_before_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)
emulator_reset
t0=$EPOCHREALTIME
mv "$WORK/large.pdf" "$WORK/hot/large.pdf"
wait_for_documents 1 "$DEADLINE"
daemon_seconds=$(calc "$DONE_AT - $t0")
daemon_t0_ms=$(( ${t0/./} / 1000 ))
peak_kb=$(proc_status_kb "$DAEMON_PID" VmHWM)
rss_after_kb=$(proc_status_kb "$DAEMON_PID" VmRSS)
curl -sS "$EMU_URL/_emulator/documents" >"$WORK/documents.json"
grep -q "\"size\" *: *$BYTES\b" "$WORK/documents.json" || die "the emulator's document does not have $BYTES bytes"

# The upload alone, from the outbox's millisecond timestamps: job committed -> delivery recorded.
upload_line=""
if command -v sqlite3 >/dev/null; then
    deadline=$((SECONDS + 30))
    until phases=$(sqlite3 -readonly "$WORK/spool/outbox.sqlite" \
        "SELECT createdAt, updatedAt FROM job WHERE state = 'delivered'") && [[ -n $phases ]]; do
        ((SECONDS < deadline)) || die "the outbox did not record the delivery within 30 s"
        nap 0.02
    done
    IFS='|' read -r committed delivered <<<"$phases"
    upload_seconds=$(calc "($delivered - $committed) / 1000")
    upload_line=$(printf '%-40s %9s %9s\n' "  of which: committed -> delivered" "$upload_seconds" "$(calc "$mb / $upload_seconds")")
    committed_after=$(calc "($committed - $daemon_t0_ms) / 1000")
fi

# --- Results ------------------------------------------------------------------------------------------------
echo
echo "large: one file of $BYTES bytes ($mb MB)"
machine_line
printf '%-40s %9s %9s\n' "contender" "seconds" "MB/s"
printf '%-40s %9s %9s\n' "spoolbridge (drop -> received)" "$daemon_seconds" "$(calc "$mb / $daemon_seconds")"
[[ -n $upload_line ]] && echo "$upload_line"
printf '%-40s %9s %9s\n' "curl -F (multipart, recorded)" "$curl_f_seconds" "$(calc "$mb / $curl_f_seconds")"
printf '%-40s %9s %9s\n' "curl -T (raw PUT, transfer only)" "$curl_t_seconds" "$(calc "$mb / $curl_t_seconds")"
echo "ratio spoolbridge / curl -F: $(calc "$curl_f_seconds / $daemon_seconds")x   (target >= 0.9x)"
echo "ratio spoolbridge / curl -T: $(calc "$curl_t_seconds / $daemon_seconds")x"
[[ -n $upload_line ]] && echo "drop -> job committed (settle time + claim + fsync): $committed_after s"
echo "daemon peak RSS (VmHWM): $(calc "$peak_kb / 1024") MiB (target <= 64 MiB);" \
    "VmHWM at start $(calc "$rss_before_kb / 1024") MiB, VmRSS after $(calc "$rss_after_kb / 1024") MiB"
