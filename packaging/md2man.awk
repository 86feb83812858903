#!/usr/bin/awk -f
# Turns Docs/configuration.md into spoolbridge.toml(5), so the reference has one source.
# Handles what that file uses: headings, paragraphs, | tables |, indented and fenced code blocks,
# `code` and [links](#anchors). Usage: awk -v date="..." -v version="..." -f md2man.awk configuration.md
function inline(text) {
    gsub(/\\/, "\\\\e", text)
    gsub(/\]\(#[a-z0-9-]*\)/, "", text); gsub(/\[`/, "`", text)   # [`[cups]`](#cups) -> `[cups]`
    while (match(text, /\[[^]]*\]\([^)]*\)/)) {
        link = substr(text, RSTART, RLENGTH); sub(/\]\(.*$/, "", link); sub(/^\[/, "", link)
        text = substr(text, 1, RSTART - 1) link substr(text, RSTART + RLENGTH)
    }
    while (match(text, /`[^`]*`/)) {
        text = substr(text, 1, RSTART - 1) "\\fB" substr(text, RSTART + 1, RLENGTH - 2) "\\fR" substr(text, RSTART + RLENGTH)
    }
    gsub(/\*\*/, "", text)
    sub(/^[.']/, "\\\\\\&&", text)
    return text
}
function cells(line, out,   n, i) {
    sub(/^\|/, "", line); sub(/\|[ \t]*$/, "", line)
    n = split(line, out, /[ \t]*\|[ \t]*/)
    for (i = 1; i <= n; i++) { gsub(/^[ \t]+|[ \t]+$/, "", out[i]) }
    return n
}
BEGIN {
    print ".TH SPOOLBRIDGE.TOML 5 \"" date "\" \"spoolbridge " version "\" \"spoolbridge\""
    print ".SH NAME"
    print "spoolbridge.toml \\- configuration of the spoolbridge daemon"
    print ".SH DESCRIPTION"
    code = 0; table = 0
}
/^```/ { if (code) { print ".fi"; print ".RE"; code = 0 } else { print ".RS"; print ".nf"; code = 1 }; next }
code { line = $0; gsub(/\\/, "\\e", line); sub(/^[.']/, "\\\\\\&&", line); print line; next }
/^# / { next }
/^## / { t = $0; sub(/^## /, "", t); gsub(/`/, "", t); print ".SH " toupper(t); next }
/^### / { t = $0; sub(/^### /, "", t); gsub(/`/, "", t); print ".SS " t; next }
/^\|/ {
    n = cells($0, c)
    if (!table) { table = 1; headers = n; next }       # the header row
    if ($0 ~ /^\|[-| :]+\|?$/) next                    # the separator row
    print ".TP"
    if (headers >= 3) print inline(c[1]) " (default: " inline(c[2]) ")"
    else print inline(c[1])
    print inline(c[n])
    next
}
/^    / { line = substr($0, 5); gsub(/\\/, "\\e", line); print ".RS"; print ".nf"; print line; print ".fi"; print ".RE"; next }
/^[ \t]*$/ { table = 0; print ".PP"; next }
{ table = 0; print inline($0) }
END {
    print ".SH SEE ALSO"
    print "spoolbridge(8), spoolbridge-backend(7), /usr/share/doc/spoolbridge/configuration.md"
}
