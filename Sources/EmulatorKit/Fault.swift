import NIOHTTP1

/// A misbehaviour the emulator applies to the next upload requests (`PUT /api/v1/documents`), or,
/// injected for `FaultTarget.tokenRequests`, to the next `POST /oauth/v1/token` requests.
///
/// JSON form (for `POST /_emulator/faults`, as `{"fault": {...}, "count": N}`), one object with a `type`:
/// `{"type":"status","status":503,"message":"down"}`,
/// `{"type":"tooManyRequests","retryAfterSeconds":2}`,
/// `{"type":"resetConnection"}`, `{"type":"delay","milliseconds":250}`,
/// `{"type":"hang"}`, `{"type":"okNotJSON"}`, `{"type":"okHugeBody","bytes":52428800}`,
/// `{"type":"throttle","bytesPerSecond":1048576}`, `{"type":"dropAnswer"}`.
///
/// Each injected fault applies to the next `count` uploads (default 1), then is used up; queued
/// faults apply in FIFO order, and other requests (`/version`, control endpoints) never take one.
/// `CloudEmulator.clearFaults()` (`POST /_emulator/faults/clear`) drops what is still queued and
/// closes the connections `hang` holds; `reset()` does that too, and forgets the documents.
public enum Fault: Sendable, Codable, Hashable {
    /// Answer this status with an error JSON `{"code":N,"message":"..."}`.
    case status(Int, message: String)
    /// 429 with a `Retry-After` header.
    case tooManyRequests(retryAfterSeconds: Int)
    /// Close the TCP connection without any answer, right after reading the request head.
    case resetConnection
    /// Wait this long, then process the request normally.
    case delay(milliseconds: Int)
    /// Read the whole request, then never answer: the connection stays open, silent, until the
    /// faults are cleared (which closes it), the client gives up, or the emulator stops.
    /// The document is not recorded. Other connections are served as usual meanwhile.
    case hang
    /// Accept the document (it is recorded), but answer 200 with an HTML page instead of JSON,
    /// as a proxy or a misconfigured server might.
    case okNotJSON
    /// Accept the document (it is recorded), but answer 200 with a body of this many bytes,
    /// streamed as the client reads it (memory stays at one piece, whatever the size).
    case okHugeBody(bytes: Int)
    /// Read the upload at most this fast (in pieces of `ReadThrottle.pieceBytes`), then process it
    /// normally: a slow link that keeps moving. A tiny rate stops reading after the first piece.
    case throttle(bytesPerSecond: Int)
    /// Process the request in full (an upload is recorded, a refresh rotates the tokens), then close
    /// the connection without answering: the answer lost on the way back, the window no client can close.
    case dropAnswer

    private enum CodingKeys: String, CodingKey {
        case type, status, message, retryAfterSeconds, milliseconds, bytes, bytesPerSecond
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
        case "hang":
            self = .hang
        case "okNotJSON":
            self = .okNotJSON
        case "okHugeBody":
            self = .okHugeBody(bytes: try Self.positive(.bytes, in: container))
        case "throttle":
            self = .throttle(bytesPerSecond: try Self.positive(.bytesPerSecond, in: container))
        case "dropAnswer":
            self = .dropAnswer
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "unknown fault type \"\(type)\"; use \(Self.typeNames)")
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
        case .hang:
            try container.encode("hang", forKey: .type)
        case .okNotJSON:
            try container.encode("okNotJSON", forKey: .type)
        case .okHugeBody(let bytes):
            try container.encode("okHugeBody", forKey: .type)
            try container.encode(bytes, forKey: .bytes)
        case .throttle(let bytesPerSecond):
            try container.encode("throttle", forKey: .type)
            try container.encode(bytesPerSecond, forKey: .bytesPerSecond)
        case .dropAnswer:
            try container.encode("dropAnswer", forKey: .type)
        }
    }

    /// Every `type`, for error messages.
    static let typeNames = "status, tooManyRequests, resetConnection, delay, hang, okNotJSON, okHugeBody, throttle or dropAnswer"

    private static func positive(_ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> Int {
        let value = try container.decode(Int.self, forKey: key)
        guard value > 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "\(key.stringValue) must be at least 1, not \(value)")
        }
        return value
    }
}

/// Which requests an injected fault applies to; each target has its own FIFO.
public enum FaultTarget: String, Sendable, Codable, Hashable, CaseIterable {
    /// `PUT /api/v1/documents` (the default), and the form-encoded calls that change something
    /// (`POST` history, card, release: Requests/FormEndpoints.swift).
    case uploads
    /// `POST /oauth/v1/token` (device code and refresh).
    case tokenRequests

    init?(method: HTTPMethod, path: String) {
        switch (method, path) {
        case (.PUT, "/api/v1/documents"): self = .uploads
        case (.POST, _) where FormEndpoints.handles(path): self = .uploads
        case (.POST, OAuthEndpoints.base + "/token"): self = .tokenRequests
        default: return nil
        }
    }
}
