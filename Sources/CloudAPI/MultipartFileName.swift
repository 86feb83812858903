/// A file name made safe for a `Content-Disposition` header: `filename="<ASCII fallback>"` for
/// old parsers and `filename*=UTF-8''<percent-encoded>` (RFC 5987) carrying the real name.
///
/// Names come from hot folders and CUPS titles, so they may hold quotes, backslashes, CR/LF,
/// non-ASCII or even invalid UTF-8: none of that may break out of the header line.
struct MultipartFileName: Sendable, Hashable {
    /// The name after cleaning: control characters and path separators replaced by `_`.
    let cleaned: String
    /// Printable ASCII only, without `"` and `\`: safe between double quotes.
    let asciiFallback: String
    /// UTF-8 bytes of `cleaned`, RFC 5987 `attr-char`s as they are, everything else as `%XX`.
    let percentEncoded: String

    init(_ name: String) {
        // The usual name is printable ASCII: cleaned without a Unicode property look-up per character.
        if !name.isEmpty, name.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) {
            let underscore = UInt8(ascii: "_")
            let cleaned = String(
                decoding: name.utf8.map { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") ? underscore : $0 },
                as: UTF8.self)
            self.cleaned = cleaned
            self.asciiFallback = String(
                decoding: cleaned.utf8.map { $0 == UInt8(ascii: "\"") ? underscore : $0 }, as: UTF8.self)
            self.percentEncoded = Self.percentEncode(cleaned.utf8)
            return
        }
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            scalars.append(Self.isUnsafeAnywhere(scalar) ? "_" : scalar)
        }
        var cleaned = String(scalars)
        if cleaned.isEmpty { cleaned = "document" }
        self.cleaned = cleaned
        self.asciiFallback = String(String.UnicodeScalarView(cleaned.unicodeScalars.map {
            ((0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\") ? $0 : "_"
        }))
        self.percentEncoded = Self.percentEncode(cleaned.utf8)
    }

    /// For names read from the file system as bytes: invalid UTF-8 becomes U+FFFD first.
    init(bytes: [UInt8]) {
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    /// The parameters after `form-data; name="data"; `.
    var dispositionParameters: String {
        "filename=\"\(asciiFallback)\"; filename*=UTF-8''\(percentEncoded)"
    }

    /// Control characters (C0, DEL, C1), Unicode line and paragraph separators and path separators:
    /// replaced even in the UTF-8 form, so the server never stores a name with a line break or a path.
    private static func isUnsafeAnywhere(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator:
            return true
        default:
            return scalar == "/" || scalar == "\\"
        }
    }

    private static func percentEncode(_ bytes: String.UTF8View) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if isAttrChar(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 5987 `attr-char`: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    private static func isAttrChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "+"), UInt8(ascii: "-"),
             UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
