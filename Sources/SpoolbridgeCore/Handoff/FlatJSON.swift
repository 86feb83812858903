/// The one JSON shape the handoff needs: a single object whose values are strings, integers,
/// booleans or null. Written by hand so that the CUPS backend, which links this module, starts
/// without Foundation. Nested values and non-integer numbers are skipped when reading, so a newer
/// peer may add fields of any type without breaking an older one.
enum FlatJSONValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null
    /// An array, object or fractional number: present but not understood by this version.
    case unsupported
}

struct FlatJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String
    var offset: Int
    var description: String { "invalid JSON at byte \(offset): \(message)" }
}

enum FlatJSON {
    static func encode(_ fields: [(String, FlatJSONValue)]) -> String {
        var out = "{"
        var first = true
        for (key, value) in fields {
            let literal: String
            switch value {
            case .string(let text): literal = quoted(text)
            case .integer(let number): literal = String(number)
            case .bool(let flag): literal = flag ? "true" : "false"
            case .null: literal = "null"
            case .unsupported: continue
            }
            if !first { out += "," }
            first = false
            out += quoted(key) + ":" + literal
        }
        return out + "}"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Parses one object. Duplicate keys: the last one wins.
    static func decode(_ bytes: [UInt8]) throws(FlatJSONError) -> [String: FlatJSONValue] {
        var parser = Parser(bytes: bytes)
        let object = try parser.parseTopLevelObject()
        return object
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let maxDepth = 16

        init(bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ message: String) -> FlatJSONError { FlatJSONError(message: message, offset: index) }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(FlatJSONError) {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else {
                throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
            }
            index += 1
        }

        mutating func parseTopLevelObject() throws(FlatJSONError) -> [String: FlatJSONValue] {
            var result: [String: FlatJSONValue] = [:]
            try expect(UInt8(ascii: "{"))
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipSpace()
                    let key = try parseString()
                    try expect(UInt8(ascii: ":"))
                    result[key] = try parseValue(depth: 1)
                    skipSpace()
                    guard index < bytes.count else { throw fail("unterminated object") }
                    let separator = bytes[index]
                    index += 1
                    if separator == UInt8(ascii: "}") { break }
                    guard separator == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
                }
            }
            skipSpace()
            guard index == bytes.count else { throw fail("unexpected bytes after the object") }
            return result
        }

        mutating func parseValue(depth: Int) throws(FlatJSONError) -> FlatJSONValue {
            skipSpace()
            guard index < bytes.count else { throw fail("missing value") }
            switch bytes[index] {
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                try skipContainer(depth: depth)
                return .unsupported
            default: return try parseNumber()
            }
        }

        mutating func literal(_ word: String) throws(FlatJSONError) {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, bytes[index..<index + utf8.count].elementsEqual(utf8)
            else { throw fail("invalid literal") }
            index += utf8.count
        }

        mutating func parseNumber() throws(FlatJSONError) -> FlatJSONValue {
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            guard index > start else { throw fail("unexpected character") }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if let number = Int64(text) { return .integer(number) }
            guard Double(text) != nil else { throw fail("invalid number '\(text)'") }
            return .unsupported
        }

        mutating func skipContainer(depth: Int) throws(FlatJSONError) {
            guard depth < Self.maxDepth else { throw fail("nested too deeply") }
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == close { index += 1; return }
            while true {
                if isObject {
                    skipSpace()
                    _ = try parseString()
                    try expect(UInt8(ascii: ":"))
                }
                _ = try parseValue(depth: depth + 1)
                skipSpace()
                guard index < bytes.count else { throw fail("unterminated container") }
                let separator = bytes[index]
                index += 1
                if separator == close { return }
                guard separator == UInt8(ascii: ",") else { throw fail("expected ','") }
            }
        }

        mutating func parseString() throws(FlatJSONError) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string") }
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flushRun(_ end: Int) {
                if end > runStart { scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flushRun(index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("control character in a string") }
                if byte != UInt8(ascii: "\\") { index += 1; continue }
                flushRun(index)
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
                default: throw fail("invalid escape")
                }
                runStart = index
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(FlatJSONError) -> UInt32 {
            guard index + 4 <= bytes.count,
                  let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
            else { throw fail("invalid \\u escape") }
            index += 4
            return value
        }

        mutating func parseUnicodeEscape() throws(FlatJSONError) -> Unicode.Scalar {
            let first = try hex4()
            if (0xD800..<0xDC00).contains(first) {
                guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { return "\u{FFFD}" }
                index += 2
                let second = try hex4()
                guard (0xDC00..<0xE000).contains(second) else { return "\u{FFFD}" }
                return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) ?? "\u{FFFD}"
            }
            return Unicode.Scalar(first) ?? "\u{FFFD}"
        }
    }
}
