import CSystemd
import Logging
import SpoolbridgeCore

#if canImport(Glibc)
import Glibc
#endif

/// One native journal entry as the list of `NAME=value` fields handed to `sd_journal_sendv`.
struct JournalEntry: Equatable {
    static let syslogIdentifier = "spoolbridge"

    /// Field names this entry sets itself; a metadata key that maps onto one of them gets a `META_` prefix
    /// instead of silently adding a second MESSAGE or PRIORITY.
    static let reservedNames: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
        "CODE_FILE", "CODE_LINE", "CODE_FUNC", "ERRNO", "LOGGER",
    ]

    var fields: [String]

    /// Builds the entry. `metadata` must already be merged (handler, provider, call site); it is redacted here.
    init(
        level: Logger.Level, message: String, label: String, metadata: Logger.Metadata, error: (any Error)?,
        file: String, line: UInt, function: String
    ) {
        var fields = [
            "MESSAGE=\(message)",
            "PRIORITY=\(Self.priority(for: level))",
            "SYSLOG_IDENTIFIER=\(Self.syslogIdentifier)",
            "LOGGER=\(label)",
            "CODE_FILE=\(file)",
            "CODE_LINE=\(line)",
            "CODE_FUNC=\(function)",
        ]
        // Sorted so the entry is deterministic (tests, and identical entries for identical calls).
        var all = LogMetadataMerge.addingError(error, to: metadata)
        // A catalogued event: the one metadata key allowed to set a field this entry reserves.
        if let id = all.removeValue(forKey: Self.messageIDKey).map(Self.text(of:)), Self.isMessageID(id) {
            fields.append("MESSAGE_ID=\(id)")
        }
        for (key, value) in MetadataRedaction.redact(all).sorted(by: { $0.key < $1.key }) {
            guard var name = JournalFieldName.sanitised(key) else { continue }
            if Self.reservedNames.contains(name) {
                name = String("META_\(name)".prefix(JournalFieldName.maxLength))
            }
            fields.append("\(name)=\(Self.text(of: value))")
        }
        self.fields = fields
    }

    static let messageIDKey = LogField.messageID

    /// 32 lowercase hex digits, as sd-id128 writes them.
    static func isMessageID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// syslog(3) priorities, as journalctl -p understands them.
    static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func text(of value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .dictionary, .array: value.description
        }
    }

    /// Sends the entry to journald; false when it could not (the caller falls back to stderr).
    /// Values may contain newlines: `sd_journal_sendv` switches to the binary field encoding for those.
    func send() -> Bool {
        var storage: [UInt8] = []
        var ranges: [(offset: Int, count: Int)] = []
        for field in fields {
            ranges.append((storage.count, field.utf8.count))
            storage.append(contentsOf: field.utf8)
        }
        let result = storage.withUnsafeMutableBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            let vectors = ranges.map { iovec(iov_base: base + $0.offset, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        return result >= 0
    }
}
