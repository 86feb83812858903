import CCups
import SpoolbridgeCore

/// The exit statuses this backend uses. Never `CUPS_BACKEND_STOP`: one bad job must not stop
/// the whole queue.
enum BackendExit {
    static let ok = Int32(CUPS_BACKEND_OK.rawValue)
    /// Wrong invocation; CUPS applies the queue's error policy.
    static let failed = Int32(CUPS_BACKEND_FAILED.rawValue)
    /// This job only is dropped.
    static let cancel = Int32(CUPS_BACKEND_CANCEL.rawValue)
    /// The job is held and tried again after `JobRetryInterval`.
    static let retry = Int32(CUPS_BACKEND_RETRY.rawValue)

    static func status(for disposition: HandoffDisposition) -> Int32 {
        switch disposition {
        case .retry: retry
        case .cancel: cancel
        }
    }
}
