/// Why an attempt to deliver a job did not succeed, reduced to what the outbox must remember and
/// what an admin must read. Produced by the cloud client, persisted by the outbox.
public struct DeliveryFailure: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Transient failures are retried with backoff; permanent ones fail the job at once;
    /// unauthorized ones hold delivery.
    public enum Kind: String, Sendable, Hashable, Codable {
        case transient
        case permanent
        /// The cloud refused our bearer token even after a refresh, or we have none (the device is
        /// not registered, or must register again). Not the job's fault: delivery holds every job
        /// queued until the token source has a fresh token (see `DeliveryStateMachine`).
        case unauthorized
    }

    public var kind: Kind
    /// HTTP status when the server answered; nil for connection errors and timeouts.
    public var httpStatus: Int?
    /// The server's message, or what went wrong locally (never a secret).
    public var message: String
    /// `Retry-After` from the server, in seconds, when it sent one.
    public var retryAfterSeconds: Double?

    public init(kind: Kind, httpStatus: Int? = nil, message: String, retryAfterSeconds: Double? = nil) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        if let httpStatus {
            return "HTTP \(httpStatus): \(message)"
        }
        return message
    }

    /// The cloud's documented rule: 5xx and 429 are worth retrying; other 4xx are the job's fault.
    public static func kind(forHTTPStatus status: Int) -> Kind {
        switch status {
        case 429, 408, 500...599: .transient
        default: .permanent
        }
    }
}
