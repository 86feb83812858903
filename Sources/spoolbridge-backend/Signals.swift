import CCups
import Glibc

enum Signals {
    /// CUPS sends SIGTERM when the job is cancelled (or cupsd stops). Exiting at once closes the
    /// socket before the end-of-document frame, which the daemon reads as "discard this job".
    /// The status is RETRY rather than OK: a cancelled job stays cancelled whatever the backend
    /// says, and a job stopped for any other reason must not be taken for printed.
    static func install() {
        // A parent may have left SIGTERM blocked; a backend that cannot be cancelled blocks CUPS.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &unblock, nil)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGTERM) { _ in
            let message: StaticString = "INFO: job cancelled; handoff to spoolbridge aborted\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(Int32(CUPS_BACKEND_RETRY.rawValue))
        }
    }
}
