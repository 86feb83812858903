import Synchronization

/// systemd's `STATUS=` line, composed of the parts that own a piece of it: the daemon's state (which
/// hot folders are watched) and, when not ok, authentication's problem. Each part sets only its own
/// piece, so a hot folder coming back does not hide a token refresh that keeps failing.
public final class SystemdStatusLine: Sendable {
    private struct Parts {
        var main = "starting"
        var auth: String?

        var line: String { [main, auth].compactMap { $0 }.joined(separator: "; ") }
    }

    private let notifier: SystemdNotifier
    private let parts = Mutex(Parts())

    public init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    /// READY=1 with the line.
    public func ready(_ main: String) {
        notifier.ready(status: parts.withLock { $0.main = main; return $0.line })
    }

    public func setMain(_ main: String) {
        notifier.status(parts.withLock { $0.main = main; return $0.line })
    }

    /// nil when authentication is fine; sent only when it changes.
    public func setAuth(_ auth: String?) {
        let line: String? = parts.withLock { parts in
            guard parts.auth != auth else { return nil }
            parts.auth = auth
            return parts.line
        }
        if let line { notifier.status(line) }
    }
}
