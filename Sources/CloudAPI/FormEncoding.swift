/// `application/x-www-form-urlencoded` as the cloud's POST endpoints take it, and percent-encoded
/// path segments and query values.
enum FormEncoding {
    static let contentType = "application/x-www-form-urlencoded"

    /// `a=1&b=x%20y`: unreserved characters as they are, everything else (space included) as %XX.
    static func body(_ fields: [(String, String)]) -> String {
        fields.map { escaped($0.0) + "=" + escaped($0.1) }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; every other byte of the UTF-8 becomes %XX. Safe for a
    /// path segment (a `/` in a serial number cannot address another endpoint) and a query value.
    static func escaped(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
