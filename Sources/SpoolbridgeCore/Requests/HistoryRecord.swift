/// `POST /documents/history`: a job that never passed through the print server (a copy, a scan, a
/// fax) recorded in the cloud. Built only through `HistoryRecord.Input.validated()`, so every
/// stored record already passed the rules the cloud would apply.
public struct HistoryRecord: Sendable, Hashable, Codable {
    public enum JobType: String, Sendable, Hashable, Codable, CaseIterable {
        case print = "PRINT", copy = "COPY", scan = "SCAN", fax = "FAX"
    }

    public var jobType: JobType
    public var totalPages: Int?
    public var colorPages: Int?
    public var paperSize: String?
    public var duplex: Bool?
    public var title: String?
    /// The output port, by serial number or by address (at least one of them).
    public var serialNumber: String?
    public var address: String?
    /// Who did it; with a device token the cloud needs `username` and `providerid`.
    public var username: String?
    public var providerID: Int?

    /// The form fields, in the reference's order; absent values are not sent.
    public var formFields: [(String, String)] {
        var fields: [(String, String)] = [("jobtype", jobType.rawValue)]
        if let totalPages { fields.append(("totalpages", String(totalPages))) }
        if let colorPages { fields.append(("colorpages", String(colorPages))) }
        if let paperSize { fields.append(("papersize", paperSize)) }
        if let duplex { fields.append(("duplex", duplex ? "true" : "false")) }
        if let title { fields.append(("title", title)) }
        if let serialNumber { fields.append(("serialnumber", serialNumber)) }
        if let address { fields.append(("address", address)) }
        if let username { fields.append(("username", username)) }
        if let providerID { fields.append(("providerid", String(providerID))) }
        return fields
    }

    /// One line for `jobs`: "COPY 12 pages (3 color) on SN123".
    public var summary: String {
        var text = jobType.rawValue
        if let totalPages { text += " \(totalPages) page\(totalPages == 1 ? "" : "s")" }
        if let colorPages { text += " (\(colorPages) color)" }
        if let title { text += " \"\(title)\"" }
        text += " on \(serialNumber ?? address ?? "?")"
        return text
    }
}

/// A field that failed validation, named as the source wrote it (`--color-pages`, `color-pages`).
public struct RecordFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

extension HistoryRecord {
    /// A value as a source gave it: the CLI gives text, a JSON line gives typed values.
    public enum Value: Sendable, Hashable {
        case text(String)
        case integer(Int64)
        case flag(Bool)
        /// An array, object, fraction or null: never valid for a record.
        case other(String)
    }

    /// The keys of a record, as the CLI options and the JSON Lines files spell them.
    public static let keys: [String] = [
        "type", "pages", "color-pages", "paper", "duplex", "title", "serial", "address", "user", "provider",
    ]

    /// Validates loosely typed fields (`keys`) into a record. `prefix` is how the source names a
    /// field (`--` for the CLI, "" for JSON Lines), so the error names it the way the admin wrote it.
    public static func validated(_ fields: [String: Value], prefix: String = "") throws(RecordFieldError) -> HistoryRecord {
        func fail(_ key: String, _ reason: String) -> RecordFieldError {
            RecordFieldError(field: prefix + key, reason: reason)
        }
        for key in fields.keys.sorted() where !keys.contains(key) {
            throw fail(key, "unknown field; known: \(keys.joined(separator: ", "))")
        }
        func text(_ key: String) throws(RecordFieldError) -> String? {
            switch fields[key] {
            case nil: return nil
            case .text(let value)?:
                let trimmed = value.trimmedOfSpaces
                guard !trimmed.isEmpty else { throw fail(key, "must not be empty") }
                guard trimmed.utf8.count <= 255 else { throw fail(key, "longer than 255 bytes") }
                guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw fail(key, "contains control characters")
                }
                return trimmed
            case .integer(let value)?: return String(value)
            case .flag?, .other?: throw fail(key, "must be text")
            }
        }
        func count(_ key: String) throws(RecordFieldError) -> Int? {
            let number: Int64
            switch fields[key] {
            case nil: return nil
            case .integer(let value)?: number = value
            case .text(let value)?:
                guard let parsed = Int64(value.trimmedOfSpaces) else {
                    throw fail(key, "must be a whole number, got \"\(value.prefix(40))\"")
                }
                number = parsed
            case .flag?, .other?: throw fail(key, "must be a whole number")
            }
            guard number >= 0 else { throw fail(key, "must not be negative, got \(number)") }
            guard number <= 1_000_000 else { throw fail(key, "is implausibly large (\(number))") }
            return Int(number)
        }

        guard let typeText = try text("type") else { throw fail("type", "is required: PRINT, COPY, SCAN or FAX") }
        guard let jobType = JobType(rawValue: typeText.uppercased()) else {
            throw fail("type", "unknown job type \"\(typeText.prefix(40))\"; expected PRINT, COPY, SCAN or FAX")
        }
        var record = HistoryRecord(jobType: jobType)
        record.totalPages = try count("pages")
        record.colorPages = try count("color-pages")
        if let color = record.colorPages, let total = record.totalPages, color > total {
            throw fail("color-pages", "\(color) is more than the \(total) pages in total")
        }
        if record.colorPages != nil && record.totalPages == nil {
            throw fail("pages", "is required when color-pages is given")
        }
        record.paperSize = try text("paper")
        switch fields["duplex"] {
        case nil: break
        case .flag(let value)?: record.duplex = value
        case .text(let value)?:
            switch value.lowercased() {
            case "true": record.duplex = true
            case "false": record.duplex = false
            default: throw fail("duplex", "must be true or false, got \"\(value.prefix(40))\"")
            }
        case .integer?, .other?: throw fail("duplex", "must be true or false")
        }
        record.title = try text("title")
        record.serialNumber = try text("serial")
        record.address = try text("address")
        guard record.serialNumber != nil || record.address != nil else {
            throw fail("serial", "the output port is required: give serial or address")
        }
        record.username = try text("user")
        if let provider = try count("provider") {
            guard provider <= Int(Int32.max) else { throw fail("provider", "is too large") }
            record.providerID = provider
        }
        if record.providerID != nil && record.username == nil {
            throw fail("user", "is required when provider is given")
        }
        return record
    }

    public init(jobType: JobType) {
        self.jobType = jobType
    }
}

extension String {
    /// Without leading and trailing ASCII spaces and tabs (Core has no Foundation).
    var trimmedOfSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

extension HistoryRecord {
    /// Parses one JSON Lines line (one flat object) into the fields `validated(_:)` takes.
    public static func fields(ofJSONLine line: [UInt8]) throws(RecordFieldError) -> [String: Value] {
        let object: [String: FlatJSONValue]
        do {
            object = try FlatJSON.decode(line)
        } catch {
            throw RecordFieldError(field: "line", reason: "not a JSON object: \(error.description)")
        }
        var fields: [String: Value] = [:]
        for (key, value) in object {
            switch value {
            case .string(let text): fields[key] = .text(text)
            case .integer(let number): fields[key] = .integer(number)
            case .bool(let flag): fields[key] = .flag(flag)
            case .null: fields[key] = .other("null")
            case .unsupported: fields[key] = .other("an array, object or fraction")
            }
        }
        return fields
    }
}
