import SpoolbridgeCore

/// The bytes around the file in a `multipart/form-data` upload: every text part plus the file
/// part's header (`head`), then the closing delimiter (`tail`). The file itself is streamed in
/// between, so the body's length is known before the first byte is sent.
///
/// Text values travel as part bodies, never in headers, so they need no escaping; the only
/// thing they could break is the boundary, which is random and checked against every value.
struct MultipartForm: Sendable, Hashable {
    struct Field: Sendable, Hashable {
        var name: String
        var value: String
    }

    let boundary: String
    let head: [UInt8]
    let tail: [UInt8]

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The whole body's length for a file of `fileSize` bytes.
    func contentLength(fileSize: Int64) -> Int64 {
        Int64(head.count) + fileSize + Int64(tail.count)
    }

    /// With a fresh random boundary (regenerated in the practically impossible case that it occurs in a value).
    init(fields: [Field], fileFieldName: String = "data", fileName: MultipartFileName) {
        var generator = BatchedSystemRandom()
        while true {
            if let form = MultipartForm(
                fields: fields, fileFieldName: fileFieldName, fileName: fileName,
                boundary: Self.randomBoundary(using: &generator))
            {
                self = form
                return
            }
        }
    }

    /// With a given boundary; nil when the boundary occurs in a value or the file name, or is not a valid boundary.
    init?(fields: [Field], fileFieldName: String = "data", fileName: MultipartFileName, boundary: String) {
        guard Self.isValidBoundary(boundary) else { return nil }
        let texts = fields.map(\.value) + [fileName.asciiFallback, fileName.percentEncoded]
        // Byte search: the boundary is ASCII, and `String.contains` compares by Unicode rules at a
        // cost that showed in the per-upload profile.
        let needle = Array(boundary.utf8)
        guard !texts.contains(where: { Self.occurs(needle, in: $0) }) else { return nil }

        var head: [UInt8] = []
        func line(_ text: String) {
            head.append(contentsOf: text.utf8)
            head.append(contentsOf: [13, 10])
        }
        for field in fields {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(field.name)\"")
            line("")
            line(field.value)
        }
        line("--\(boundary)")
        line("Content-Disposition: form-data; name=\"\(fileFieldName)\"; \(fileName.dispositionParameters)")
        line("Content-Type: application/octet-stream")
        line("")
        self.boundary = boundary
        self.head = head
        self.tail = Array("\r\n--\(boundary)--\r\n".utf8)
    }

    /// `PUT /documents` fields in the documented order; optional ones only when set.
    static func documentFields(for request: DocumentRequest) -> [Field] {
        let options = request.options
        var fields = [
            Field(name: "username", value: request.username),
            Field(name: "portname", value: request.portname),
            Field(name: "title", value: request.title),
        ]
        if let providerID = options.providerID { fields.append(Field(name: "providerid", value: String(providerID))) }
        if let copies = options.copies { fields.append(Field(name: "copies", value: String(copies))) }
        if let grayscale = options.grayscale { fields.append(Field(name: "grayscale", value: grayscale ? "true" : "false")) }
        if let duplex = options.duplex { fields.append(Field(name: "duplex", value: String(duplex.rawValue))) }
        if let pageSize = options.pageSize { fields.append(Field(name: "outputpagesize", value: pageSize)) }
        if let orientation = options.orientation {
            fields.append(Field(name: "pageorientation", value: String(orientation.rawValue)))
        }
        return fields
    }

    /// 12 fixed characters and 32 random letters and digits (about 190 bits).
    static func randomBoundary<G: RandomNumberGenerator>(using generator: inout G) -> String {
        // Eight random bytes per draw, not one draw per letter (with the system generator each
        // draw is a getrandom call); bytes past the last whole multiple of 62 are dropped, so every
        // letter stays equally likely.
        var random: [UInt8] = []
        random.reserveCapacity(32)
        while random.count < 32 {
            var word = generator.next()
            for _ in 0..<8 where random.count < 32 {
                let byte = Int(word & 0xFF)
                word >>= 8
                if byte < 248 { random.append(boundaryAlphabet[byte % boundaryAlphabet.count]) }
            }
        }
        return "spoolbridge-" + String(decoding: random, as: UTF8.self)
    }

    private static let boundaryAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// RFC 2046: 1 to 70 characters; we allow the safest subset (ASCII letters, digits, `-`, `_`, `.`).
    static func isValidBoundary(_ boundary: String) -> Bool {
        (1...70).contains(boundary.utf8.count)
            && boundary.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    true
                default:
                    false
                }
            }
    }

    /// Whether `needle` occurs in `text`'s UTF-8 bytes.
    static func occurs(_ needle: [UInt8], in text: String) -> Bool {
        let haystack = Array(text.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
