import Logging
import Synchronization

/// The process's log level, shared by every handler the bootstrap made, so a reload (`[log] level`)
/// changes it at once for every logger already handed out. A handler whose level was set explicitly
/// (`logger.logLevel = …`) keeps that one.
public final class LogLevelControl: Sendable {
    public static let shared = LogLevelControl(.info)

    private let current: Mutex<Logger.Level>

    public init(_ level: Logger.Level) {
        current = Mutex(level)
    }

    public var level: Logger.Level {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
