import Foundation
import SpoolbridgeCore

/// The health document of `GET /healthz` and `spoolbridge status --json` (Docs/operations.md, "Health").
/// Keys are snake_case; a value that is not known is `null`, never left out, so scripts can rely on
/// every key being there.
public struct HealthDocument: Sendable, Hashable, Encodable {
    public enum Status: String, Sendable, Hashable, Encodable {
        case ok
        case unhealthy
    }

    public struct Cloud: Sendable, Hashable, Encodable {
        /// `reachable`, `unreachable` or `unknown`.
        public var state: String
        public var since: Timestamp?
        public var lastError: String?

        enum CodingKeys: String, CodingKey { case state, since, lastError = "last_error" }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(state, forKey: .state)
            try container.encode(since.map(HealthDocument.iso8601), forKey: .since)
            try container.encode(lastError, forKey: .lastError)
        }
    }

    /// `auth_detail`: what lies behind `auth`. Never a token.
    public struct Auth: Sendable, Hashable, Encodable {
        /// `api-key`, `device-token` or `user-token`.
        public var mode: String
        /// Delivery has been held since then because the cloud refuses our token.
        public var refusedSince: Timestamp?
        public var nextRetry: Timestamp?
        /// Failed refreshes in a row.
        public var attempts: Int?
        public var lastError: String?
        public var accessTokenExpires: Timestamp?
        public var lastRefresh: Timestamp?

        enum CodingKeys: String, CodingKey {
            case mode, attempts
            case refusedSince = "refused_since", nextRetry = "next_retry", lastError = "last_error"
            case accessTokenExpires = "access_token_expires", lastRefresh = "last_refresh"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(mode, forKey: .mode)
            try container.encode(refusedSince.map(HealthDocument.iso8601), forKey: .refusedSince)
            try container.encode(nextRetry.map(HealthDocument.iso8601), forKey: .nextRetry)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(accessTokenExpires.map(HealthDocument.iso8601), forKey: .accessTokenExpires)
            try container.encode(lastRefresh.map(HealthDocument.iso8601), forKey: .lastRefresh)
        }
    }

    public var status: Status
    /// Why the status is `unhealthy`, one sentence each; empty when `ok`.
    public var problems: [String]
    /// `running` or `not running` (only the CLI can see the latter).
    public var daemon: String
    /// Jobs not yet delivered or failed (receiving, queued, uploading).
    public var queued: Int
    public var oldestQueuedSeconds: Double?
    /// Jobs per state, every state present.
    public var jobs: [String: Int]
    public var cloud: Cloud
    public var lastDelivery: Timestamp?
    public var spoolFreeBytes: Int64?
    public var spoolMinFreeBytes: Int64
    /// `ok`, `unwritable` or `unreadable`.
    public var outbox: String
    /// `ok`, `refreshing`, `retrying` (refreshes fail; the token may still be valid), `refused` (the
    /// cloud refuses our token; delivery holds) or `needs re-registration` (unhealthy).
    public var auth: String
    public var authDetail: Auth

    /// 200 when the daemon can do its job, 503 otherwise.
    public var httpStatus: Int { status == .ok ? 200 : 503 }

    enum CodingKeys: String, CodingKey {
        case status, problems, daemon, queued, jobs, cloud, outbox, auth
        case authDetail = "auth_detail"
        case oldestQueuedSeconds = "oldest_queued_seconds", lastDelivery = "last_delivery"
        case spoolFreeBytes = "spool_free_bytes", spoolMinFreeBytes = "spool_min_free_bytes"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
        try container.encode(problems, forKey: .problems)
        try container.encode(daemon, forKey: .daemon)
        try container.encode(queued, forKey: .queued)
        try container.encode(oldestQueuedSeconds.map { ($0 * 1000).rounded() / 1000 }, forKey: .oldestQueuedSeconds)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(cloud, forKey: .cloud)
        try container.encode(lastDelivery.map(Self.iso8601), forKey: .lastDelivery)
        try container.encode(spoolFreeBytes, forKey: .spoolFreeBytes)
        try container.encode(spoolMinFreeBytes, forKey: .spoolMinFreeBytes)
        try container.encode(outbox, forKey: .outbox)
        try container.encode(auth, forKey: .auth)
        try container.encode(authDetail, forKey: .authDetail)
    }

    /// Pretty-printed, keys sorted, one trailing newline.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{\"status\":\"unhealthy\"}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `2026-12-02T18:34:05.123Z`.
    static func iso8601(_ timestamp: Timestamp) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: timestamp.secondsSince1970))
    }
}
