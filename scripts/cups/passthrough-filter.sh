#!/bin/sh
# A CUPS filter that copies the document unchanged. Tests use it in a PPD so that CUPS runs a real
# filter and the backend reads the job from stdin (argc 6) instead of a spool file.
# Invoked as: filter job-id user title copies options [file]
if [ $# -ge 6 ]; then exec cat -- "$6"; fi
exec cat
