/// A misbehaviour the emulator applies to the next upload requests (`PUT /api/v1/documents`).
///
/// JSON form (for `POST /_emulator/faults`), one object with a `type`:
/// `{"type":"status","status":503,"message":"down"}`,
/// `{"type":"tooManyRequests","retryAfterSeconds":2}`,
/// `{"type":"resetConnection"}`, `{"type":"delay","milliseconds":250}`.
public enum Fault: Sendable, Codable, Hashable {
    /// Answer this status with an error JSON `{"code":N,"message":"..."}`.
    case status(Int, message: String)
    /// 429 with a `Retry-After` header.
    case tooManyRequests(retryAfterSeconds: Int)
    /// Close the TCP connection without any answer, right after reading the request head.
    case resetConnection
    /// Wait this long, then process the request normally.
    case delay(milliseconds: Int)

    private enum CodingKeys: String, CodingKey {
        case type, status, message, retryAfterSeconds, milliseconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "status":
            let status = try container.decode(Int.self, forKey: .status)
            guard (100...599).contains(status) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .status, in: container, debugDescription: "status \(status) is not an HTTP status (100-599)")
            }
            let message = try container.decodeIfPresent(String.self, forKey: .message) ?? "injected fault"
            self = .status(status, message: message)
        case "tooManyRequests":
            self = .tooManyRequests(retryAfterSeconds: try container.decode(Int.self, forKey: .retryAfterSeconds))
        case "resetConnection":
            self = .resetConnection
        case "delay":
            self = .delay(milliseconds: try container.decode(Int.self, forKey: .milliseconds))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "unknown fault type \"\(type)\"; use status, tooManyRequests, resetConnection or delay")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .status(let status, let message):
            try container.encode("status", forKey: .type)
            try container.encode(status, forKey: .status)
            try container.encode(message, forKey: .message)
        case .tooManyRequests(let seconds):
            try container.encode("tooManyRequests", forKey: .type)
            try container.encode(seconds, forKey: .retryAfterSeconds)
        case .resetConnection:
            try container.encode("resetConnection", forKey: .type)
        case .delay(let milliseconds):
            try container.encode("delay", forKey: .type)
            try container.encode(milliseconds, forKey: .milliseconds)
        }
    }
}
