/// One line from the daemon to the backend. `ok` or `error` answers the handoff; in wait mode
/// one of `delivered`, `failed` or `pending` follows an `ok`.
///
///     OK <job id>
///     ERR <code> <reason>
///     DELIVERED <document uuid>
///     FAILED <reason>
///     PENDING [<last error>]
public enum HandoffReply: Sendable, Hashable {
    case ok(JobID)
    case error(HandoffErrorCode, String)
    case delivered(documentUUID: String)
    case failed(String)
    /// The wait ran out; the job stays queued. Carries the last delivery error, if any.
    case pending(lastError: String?)

    /// The line without its terminating newline; reasons are flattened to one line.
    public var line: String {
        switch self {
        case .ok(let id): "OK \(id.rawValue)"
        case .error(let code, let reason): "ERR \(code.rawValue) \(Self.oneLine(reason))"
        case .delivered(let uuid): "DELIVERED \(Self.oneLine(uuid))"
        case .failed(let reason): "FAILED \(Self.oneLine(reason))"
        case .pending(let lastError?): "PENDING \(Self.oneLine(lastError))"
        case .pending(nil): "PENDING"
        }
    }

    /// Parses a line (with or without its newline). Nil when it is not a reply of this protocol.
    public init?(line raw: String) {
        var line = Substring(raw)
        while let last = line.last, last == "\n" || last == "\r" { line = line.dropLast() }
        let verb = line.prefix { $0 != " " }
        let rest = line.dropFirst(verb.count).drop { $0 == " " }
        switch verb {
        case "OK":
            guard let value = Int64(rest) else { return nil }
            self = .ok(JobID(value))
        case "ERR":
            let code = rest.prefix { $0 != " " }
            guard !code.isEmpty else { return nil }
            self = .error(HandoffErrorCode(rawValue: String(code)), String(rest.dropFirst(code.count).drop { $0 == " " }))
        case "DELIVERED":
            self = .delivered(documentUUID: String(rest))
        case "FAILED":
            self = .failed(String(rest))
        case "PENDING":
            self = .pending(lastError: rest.isEmpty ? nil : String(rest))
        default:
            return nil
        }
    }

    /// Replies and reasons longer than this are cut: CUPS shows at most ~2 KB of a message anyway.
    public static let maxReasonLength = 1000

    static func oneLine(_ text: String) -> String {
        var out = ""
        for character in text.prefix(maxReasonLength) {
            out.append(character.isNewline || character == "\t" ? " " : character)
        }
        return out
    }
}
