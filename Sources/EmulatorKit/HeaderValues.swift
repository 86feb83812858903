/// A header value of the form `type *( ";" name "=" value )`, such as Content-Type or
/// Content-Disposition. Parameter names are lowercased; values are unquoted and unescaped.
struct ParameterizedHeaderValue: Sendable, Hashable {
    /// Lowercased: `multipart/form-data`, `form-data`, ...
    var type: String
    var parameters: [String: String]

    /// Parses strictly: tokens (RFC 9110 §5.6.2), quoted strings with backslash escapes
    /// (§5.6.4), `;`-separated parameters, no duplicates. `what` names the header in errors.
    init(parsing value: String, what: String, mediaType: Bool) throws {
        var scanner = HeaderValueScanner(Array(value.utf8))
        scanner.skipWhitespace()
        guard var type = scanner.token() else {
            throw Rejection.badRequest("\(what) \"\(value)\" does not start with a \(mediaType ? "media type" : "type")")
        }
        if mediaType {
            guard scanner.consume(UInt8(ascii: "/")), let subtype = scanner.token() else {
                throw Rejection.badRequest("\(what) \"\(value)\" is not a media type of the form type/subtype")
            }
            type += "/" + subtype
        }
        self.type = type.lowercased()
        self.parameters = [:]
        while true {
            scanner.skipWhitespace()
            if scanner.atEnd { break }
            guard scanner.consume(UInt8(ascii: ";")) else {
                throw Rejection.badRequest("\(what) \"\(value)\": expected ';' before the next parameter")
            }
            scanner.skipWhitespace()
            if scanner.atEnd { break }  // a trailing ';' is harmless
            guard let rawName = scanner.token() else {
                throw Rejection.badRequest("\(what) \"\(value)\": malformed parameter name")
            }
            let name = rawName.lowercased()
            scanner.skipWhitespace()
            guard scanner.consume(UInt8(ascii: "=")) else {
                throw Rejection.badRequest("\(what) \"\(value)\": parameter \(name) has no '=' value")
            }
            scanner.skipWhitespace()
            let parameterValue: String
            if scanner.peek == UInt8(ascii: "\"") {
                guard let quoted = scanner.quotedString() else {
                    throw Rejection.badRequest("\(what) \"\(value)\": parameter \(name) has a malformed quoted string")
                }
                parameterValue = quoted
            } else if let token = scanner.token() {
                parameterValue = token
            } else {
                throw Rejection.badRequest("\(what) \"\(value)\": parameter \(name) has no value")
            }
            guard parameters[name] == nil else {
                throw Rejection.badRequest("\(what) \"\(value)\": parameter \(name) appears twice")
            }
            parameters[name] = parameterValue
        }
    }
}

/// A cursor over a header value's bytes.
struct HeaderValueScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { atEnd ? nil : bytes[index] }

    mutating func skipWhitespace() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// One or more tchars.
    mutating func token() -> String? {
        let start = index
        while let byte = peek, Self.isTokenByte(byte) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    /// A quoted string starting at the current `"`, with `\` escaping the next byte.
    /// Raw UTF-8 (obs-text) is accepted, as browsers send file names that way; the result must be valid UTF-8.
    mutating func quotedString() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var content: [UInt8] = []
        while let byte = peek {
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: content, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek, Self.isQuotedTextByte(escaped) || escaped == UInt8(ascii: "\"")
                    || escaped == UInt8(ascii: "\\")
                else { return nil }
                index += 1
                content.append(escaped)
            default:
                guard Self.isQuotedTextByte(byte) else { return nil }
                content.append(byte)
            }
        }
        return nil  // no closing quote
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// qdtext: HTAB, SP, visible ASCII except `"` and `\`, and obs-text (bytes ≥ 0x80).
    private static func isQuotedTextByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
            || byte >= 0x80
    }
}

/// RFC 8187 / 5987 extended parameter values: `charset'[language]'percent-encoded`.
enum ExtendedParameterValue {
    static func decode(_ value: String, parameter: String) throws -> String {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3 else {
            throw Rejection.badRequest("\(parameter) \"\(value)\" is not of the form charset'language'percent-encoded-value")
        }
        let charset = pieces[0].lowercased()
        guard charset == "utf-8" || charset == "iso-8859-1" else {
            throw Rejection.badRequest("\(parameter) uses charset \"\(pieces[0])\"; only UTF-8 and ISO-8859-1 are defined")
        }
        var decoded: [UInt8] = []
        var bytes = Array(pieces[2].utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard bytes.count >= 2, let high = hexValue(bytes.popFirst()!), let low = hexValue(bytes.popFirst()!) else {
                    throw Rejection.badRequest("\(parameter) \"\(value)\" has a malformed percent escape")
                }
                decoded.append(high << 4 | low)
            } else if isAttributeChar(byte) {
                decoded.append(byte)
            } else {
                throw Rejection.badRequest(
                    "\(parameter) \"\(value)\" contains '\(Character(Unicode.Scalar(byte)))', which must be percent-encoded")
            }
        }
        if charset == "iso-8859-1" {
            return String(String.UnicodeScalarView(decoded.map { Unicode.Scalar($0) }))
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw Rejection.badRequest("\(parameter) \"\(value)\" does not decode to valid UTF-8")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    private static func isAttributeChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$&+-.^_`|~".utf8).contains(byte)
        }
    }
}
