/// An `application/x-www-form-urlencoded` body, parsed strictly: `name=value` pairs joined by `&`,
/// `+` for space, valid `%XX` escapes, UTF-8, no field twice. What `/oauth/v1` and `/login` read.
struct FormBody: Sendable, Hashable {
    private(set) var fields: [String: String] = [:]

    /// `what` names the request in error messages (e.g. "POST /oauth/v1/token").
    init(parsing bytes: [UInt8], what: String) throws(FormError) {
        guard !bytes.isEmpty else { return }
        for (position, pair) in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).enumerated() {
            guard !pair.isEmpty else { throw FormError("\(what): empty field between '&' separators") }
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw FormError("\(what): field #\(position + 1) has no '='; write name=value")
            }
            let name = try Self.decode(parts[0], what: "\(what): a field name")
            let value = try Self.decode(parts[1], what: "\(what): the value of field \(name)")
            guard !name.isEmpty else { throw FormError("\(what): a field has an empty name") }
            guard fields[name] == nil else { throw FormError("\(what): field \(name) appears more than once") }
            fields[name] = value
        }
    }

    subscript(name: String) -> String? { fields[name] }

    /// Names present but not in `allowed`, sorted: a strict server refuses fields it does not know.
    func unknownFields(allowed: Set<String>) -> [String] {
        fields.keys.filter { !allowed.contains($0) }.sorted()
    }

    private static func decode(_ raw: ArraySlice<UInt8>, what: String) throws(FormError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard raw.endIndex - index >= 3,
                    let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2])
                else {
                    throw FormError("\(what) has a malformed percent escape; use %XX with two hex digits")
                }
                bytes.append(high << 4 | low)
                index += 2
            default:
                bytes.append(byte)
            }
            index += 1
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FormError("\(what) is not valid UTF-8 once percent-decoded")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

struct FormError: Error, Sendable, Hashable {
    var message: String
    init(_ message: String) { self.message = message }
}
