import Logging
import SpoolbridgeCore

/// The refresher's log lines: state changes only, never a token.
enum RefreshLog {
    static func log(_ announcement: RefreshStateMachine.Announcement, status: RefreshStatus, logger: Logger) {
        var metadata: Logger.Metadata = ["auth.state": "\(status.state.rawValue)"]
        if let mode = status.mode { metadata["auth.mode"] = "\(mode.rawValue)" }
        switch announcement {
        case .fresh(let expiresAt, let next):
            logger.info("access token valid until \(RefreshStatus.clock(expiresAt)); next refresh at \(RefreshStatus.clock(next))", metadata: metadata)
        case .refreshed(let expiresAt, let next):
            logger.info("access token refreshed, valid until \(RefreshStatus.clock(expiresAt)); next refresh at \(RefreshStatus.clock(next))", metadata: metadata)
        case .refreshStarted(let reason):
            logger.debug("refreshing the access token (\(reason))", metadata: metadata)
        case .retrying(let at, let attempts, let error):
            metadata["auth.attempts"] = "\(attempts)"
            logger.warning("token refresh failed (\(error)); retrying at \(RefreshStatus.clock(at)); jobs stay queued", metadata: metadata)
        case .needsRegistration(let reason):
            let fix = status.remedy ?? "run `spoolbridge device register`"
            logger.error("the device must be registered again: \(reason). Every job stays queued; \(fix)", metadata: metadata)
        case .notRegistered:
            logger.warning("no device or user token stored: \(status.remedy ?? "run `spoolbridge device register`")", metadata: metadata)
        }
    }
}
