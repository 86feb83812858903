/// `POST /documents/UUID/SERIAL-or-ADDRESS`: a delivered document sent to an output port.
public struct DocumentRelease: Sendable, Hashable, Codable {
    public var documentUUID: String
    /// The output port's serial number or address (the last path segment).
    public var printer: String
    public var copies: Int?
    public var grayscale: Bool?
    public var duplex: PrintOptions.Duplex?
    /// Keep the document in the cloud after printing.
    public var retain: Bool?
    /// The upload this release follows (a push queue, or `release --job`), for the admin.
    public var afterJob: JobID?

    public init(
        documentUUID: String, printer: String, copies: Int? = nil, grayscale: Bool? = nil,
        duplex: PrintOptions.Duplex? = nil, retain: Bool? = nil, afterJob: JobID? = nil
    ) {
        self.documentUUID = documentUUID
        self.printer = printer
        self.copies = copies
        self.grayscale = grayscale
        self.duplex = duplex
        self.retain = retain
        self.afterJob = afterJob
    }

    /// The form fields; empty when nothing but the path is needed (the body is then empty).
    public var formFields: [(String, String)] {
        var fields: [(String, String)] = []
        if let copies { fields.append(("copies", String(copies))) }
        if let grayscale { fields.append(("grayscale", grayscale ? "true" : "false")) }
        if let retain { fields.append(("retain", retain ? "true" : "false")) }
        if let duplex { fields.append(("duplex", String(duplex.rawValue))) }
        return fields
    }

    public var summary: String { "release \(documentUUID) to \(printer)" }

    /// A document uuid as the cloud writes them: letters, digits and dashes, so it is one safe path segment.
    public static func isPlausibleUUID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D }
    }

    /// A serial number or address: printable, no slash (it is a path segment), at most 255 bytes.
    public static func isPlausiblePrinter(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 255 && !text.contains("/")
            && !text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == " " }
    }
}

/// `POST /card?cd=CARD&Mac=READER`: a card swipe at a reader releases the card owner's jobs.
public struct CardSwipe: Sendable, Hashable, Codable {
    public var cardID: String
    /// The printer's or card reader's address, sent as `Mac`.
    public var reader: String

    public init(cardID: String, reader: String) {
        self.cardID = cardID
        self.reader = reader
    }

    /// A card id as readers send them: 1…64 printable ASCII characters without spaces.
    public static func isPlausibleCardID(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    public var summary: String { "card swipe at \(reader)" }
}
