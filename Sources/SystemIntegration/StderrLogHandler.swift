import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Plain one-line-per-entry handler for terminals and CI:
/// `2026-11-23T16:00:00Z info spoolbridge: message key=value` (metadata sorted, secrets redacted).
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    /// The shared level (`LogLevelControl`) unless one was set on this handler.
    public var logLevel: Logger.Level {
        get { ownLevel ?? levelControl.level }
        set { ownLevel = newValue }
    }
    private var ownLevel: Logger.Level?
    private let levelControl: LogLevelControl
    private let label: String

    public init(label: String, levelControl: LogLevelControl = .shared) {
        self.label = label
        self.levelControl = levelControl
        self.metadataProvider = LoggingSystem.metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = LogMetadataMerge.merged(handler: metadata, provider: metadataProvider, event: event.metadata)
        Self.write(
            StderrLogFormat.line(
                secondsSinceEpoch: StderrLogFormat.now(), level: event.level, label: label,
                message: event.message.description, metadata: merged, error: event.error
            )
        )
    }

    /// One `write(2)` per line, so lines from concurrent tasks do not interleave.
    static func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr is gone; nothing sensible left to do
                }
            }
        }
    }
}
