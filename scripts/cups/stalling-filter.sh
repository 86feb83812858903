#!/bin/sh
# A CUPS filter that sends the document and then stalls, so tests can cancel a job mid-transfer.
if [ $# -ge 6 ]; then cat -- "$6"; else cat; fi
exec sleep 600
