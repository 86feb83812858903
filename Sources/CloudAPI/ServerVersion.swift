/// The answer of `GET /version` (`ServerVersionInfo`, whose fields the reference does not list):
/// the top-level scalar fields as text, and the raw JSON for anything else.
public struct ServerVersion: Sendable, Codable, Hashable {
    /// Top-level strings, numbers and booleans, rendered as text.
    public var fields: [String: String]
    /// The answer exactly as received (UTF-8, at most 64 KiB).
    public var rawJSON: String

    public init(fields: [String: String], rawJSON: String) {
        self.fields = fields
        self.rawJSON = rawJSON
    }

    /// The version string, under whichever name the server uses.
    public var version: String? {
        for key in ["version", "serverVersion", "Version", "buildVersion"] {
            if let value = fields[key] { return value }
        }
        return fields.first { $0.key.lowercased().contains("version") }?.value
    }
}

extension ServerVersion {
    /// Parses a JSON object answer; nil when the body is not a JSON object.
    init?(json bytes: [UInt8]) {
        struct AnyScalar: Decodable {
            var text: String?
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) {
                    text = s
                } else if let i = try? c.decode(Int64.self) {
                    text = String(i)
                } else if let d = try? c.decode(Double.self) {
                    text = String(d)
                } else if let b = try? c.decode(Bool.self) {
                    text = String(b)
                } else {
                    text = nil  // null, arrays, nested objects: kept only in rawJSON
                }
            }
        }
        guard let object = try? CloudJSON.decode([String: AnyScalar].self, from: bytes) else { return nil }
        self.init(fields: object.compactMapValues(\.text), rawJSON: String(decoding: bytes, as: UTF8.self))
    }
}
