/// `application/x-www-form-urlencoded` as the emulator reads it: strictly, so a client that
/// encodes wrongly is told so instead of having its values quietly mangled.
struct FormBody: Sendable, Hashable {
    /// In the order sent.
    var pairs: [(name: String, value: String)]

    static func == (a: FormBody, b: FormBody) -> Bool {
        a.pairs.map(\.name) == b.pairs.map(\.name) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }

    /// Parses `a=1&b=x%20y` (also a query string). `+` is a space, as HTML forms send it.
    /// `what` names the part in messages ("body", "query").
    init(parsing bytes: some Collection<UInt8>, what: String) throws(Rejection) {
        pairs = []
        guard !bytes.isEmpty else { return }
        for piece in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            guard let equals = piece.firstIndex(of: UInt8(ascii: "=")) else {
                throw .badRequest("\(what): \"\(Self.preview(piece))\" is not name=value")
            }
            let name = try Self.decode(piece[..<equals], what: what)
            let value = try Self.decode(piece[piece.index(after: equals)...], what: what)
            guard !name.isEmpty else { throw .badRequest("\(what): a parameter has an empty name") }
            pairs.append((name, value))
        }
    }

    /// Each name once; duplicates are an error (which value would the cloud take?).
    func fields(what: String) throws(Rejection) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in pairs {
            guard fields.updateValue(value, forKey: name) == nil else {
                throw .badRequest("\(what): parameter \(name) appears more than once")
            }
        }
        return fields
    }

    /// A percent-encoded path segment (`+` stays a plus there).
    static func percentDecoded(_ segment: Substring) throws(Rejection) -> String {
        try decode(Array(segment.utf8), what: "path", plusIsSpace: false)
    }

    private static func decode(_ bytes: some Collection<UInt8>, what: String, plusIsSpace: Bool = true) throws(Rejection)
        -> String
    {
        var out: [UInt8] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace: out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index != bytes.endIndex, let high = hexValue(bytes[index]) else {
                    throw .badRequest("\(what): a % is not followed by two hex digits")
                }
                index = bytes.index(after: index)
                guard index != bytes.endIndex, let low = hexValue(bytes[index]) else {
                    throw .badRequest("\(what): a % is not followed by two hex digits")
                }
                index = bytes.index(after: index)
                out.append(high << 4 | low)
            default: out.append(byte)
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw .badRequest("\(what): a value is not UTF-8 once percent-decoded")
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

    private static func preview(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix(40), as: UTF8.self)
    }
}
