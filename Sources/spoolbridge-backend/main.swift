// The CUPS backend `spoolbridge`: CUPS runs it once per job; it hands the job to the daemon over
// a Unix socket and exits with the status that tells CUPS what to do with the job. It links only
// Glibc and libcups (no Foundation) so that it starts in milliseconds.
import Glibc

exit(BackendCommand.run(arguments: CommandLine.arguments))
