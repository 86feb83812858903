import Foundation

/// One upload the emulator accepted, as it understood it.
public struct ReceivedDocument: Sendable, Codable, Hashable {
    /// The UUID the emulator answered with.
    public var uuid: String
    public var username: String
    public var portname: String
    public var title: String
    /// From the data part's Content-Disposition (`filename*` decoded when present).
    public var filename: String
    public var copies: Int?
    public var grayscale: Bool?
    public var duplex: Int?
    public var providerID: Int?
    public var outputPageSize: String?
    public var pageOrientation: Int?
    public var scale: Int?
    /// Byte count of the data part.
    public var size: Int
    /// Lowercase hex SHA-256 of the data part's bytes.
    public var sha256: String
    /// The data part's Content-Type header as sent.
    public var dataContentType: String
    public var receivedAt: Date

    /// A decoder for the JSON of `GET /_emulator/documents` (ISO-8601 dates).
    public static func makeJSONDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The encoder the control endpoint uses (ISO-8601 dates, sorted keys).
    public static func makeJSONEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
