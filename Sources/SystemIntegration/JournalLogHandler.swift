import Logging

/// Writes native journald entries, so metadata becomes searchable fields (`journalctl -u spoolbridge
/// JOB_ID=42`) and levels become priorities (`journalctl -p warning`). Falls back to a stderr line when the
/// journal socket refuses the entry, so nothing is lost silently.
public struct JournalLogHandler: LogHandler {
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
        let entry = JournalEntry(
            level: event.level, message: event.message.description, label: label, metadata: merged,
            error: event.error, file: event.file, line: event.line, function: event.function
        )
        if !entry.send() {
            StderrLogHandler.write(
                StderrLogFormat.line(
                    secondsSinceEpoch: StderrLogFormat.now(), level: event.level, label: label,
                    message: event.message.description, metadata: merged, error: event.error
                )
            )
        }
    }
}

/// Handler metadata, then the provider's (task-local context), then the call site's: later wins.
enum LogMetadataMerge {
    static func merged(
        handler: Logger.Metadata, provider: Logger.MetadataProvider?, event: Logger.Metadata?
    ) -> Logger.Metadata {
        var result = handler
        if let provided = provider?.get() {
            result.merge(provided) { _, new in new }
        }
        if let event {
            result.merge(event) { _, new in new }
        }
        return result
    }

    /// The event's error as the `error` entry, unless the caller already logged one under that key.
    static func addingError(_ error: (any Error)?, to metadata: Logger.Metadata) -> Logger.Metadata {
        guard let error, metadata["error"] == nil else { return metadata }
        var result = metadata
        result["error"] = .string("\(error)")
        return result
    }
}
