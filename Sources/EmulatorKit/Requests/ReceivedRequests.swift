import Foundation

/// One `POST /api/v1/documents/history` the emulator accepted: exactly the form fields sent.
public struct ReceivedRecord: Sendable, Codable, Hashable {
    /// Every field as sent, by name (`jobtype`, `totalpages`, …).
    public var fields: [String: String]
    public var receivedAt: Date
}

/// One accepted `POST /api/v1/documents/UUID/SERIAL-or-ADDRESS`.
public struct ReceivedRelease: Sendable, Codable, Hashable {
    public var documentUUID: String
    /// The last path segment: a serial number or an address.
    public var printer: String
    /// The form fields (`copies`, `grayscale`, `duplex`, `retain`) as sent.
    public var fields: [String: String]
    public var receivedAt: Date
}

/// One accepted `/api/v1/card?cd=…&Mac=…`.
public struct ReceivedCardSwipe: Sendable, Codable, Hashable {
    public var cardID: String
    public var mac: String
    public var method: String
    public var receivedAt: Date
}
