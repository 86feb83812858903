/// The first line the backend sends: everything about the job except its bytes, already mapped
/// from CUPS's vocabulary to the cloud's. One JSON object, terminated by a newline.
public struct HandoffHeader: Sendable, Hashable {
    /// Bumped when either side must refuse the other; new optional fields do not bump it.
    public static let currentVersion = 1
    /// A header line longer than this is refused before it is parsed.
    public static let maxLineLength = 64 * 1024
    /// `?wait=` is capped so a backend never holds a CUPS job slot for long.
    public static let maxWaitSeconds = 600

    public var version: Int
    /// CUPS's `job-uuid`: the idempotency key of the job.
    public var jobUUID: String
    public var cupsJobID: Int
    /// The CUPS queue (`PRINTER`).
    public var printer: String
    /// The job's owner as CUPS gave it (argv[2]); the daemon applies the user map.
    public var user: String
    /// The title, with the extension that matches the document format.
    public var title: String
    /// The cloud input port (the device URI's path).
    public var port: String
    public var options: PrintOptions
    /// The MIME type of the bytes as they arrive, when CUPS said.
    public var contentType: String?
    /// The document's size when the backend knows it up front (a spool file), so an oversized
    /// document is refused before it is sent.
    public var declaredSize: Int64?
    /// Seconds the daemon should wait for the upload result before answering `PENDING`; 0 = no wait.
    public var waitSeconds: Int
    /// A push queue's output port (the device URI's `release_to`); nil for a plain queue.
    public var releaseTo: String?

    public init(
        version: Int = HandoffHeader.currentVersion, jobUUID: String, cupsJobID: Int, printer: String,
        user: String, title: String, port: String, options: PrintOptions = PrintOptions(),
        contentType: String? = nil, declaredSize: Int64? = nil, waitSeconds: Int = 0, releaseTo: String? = nil
    ) {
        self.releaseTo = releaseTo
        self.version = version
        self.jobUUID = jobUUID
        self.cupsJobID = cupsJobID
        self.printer = printer
        self.user = user
        self.title = title
        self.port = port
        self.options = options
        self.contentType = contentType
        self.declaredSize = declaredSize
        self.waitSeconds = waitSeconds
    }

    /// The JSON object followed by a newline, as UTF-8 bytes ready to send.
    public func encodedLine() -> [UInt8] {
        var fields: [(String, FlatJSONValue)] = [
            ("v", .integer(Int64(version))),
            ("job_uuid", .string(jobUUID)),
            ("cups_job_id", .integer(Int64(cupsJobID))),
            ("printer", .string(printer)),
            ("user", .string(user)),
            ("title", .string(title)),
            ("port", .string(port)),
        ]
        if let copies = options.copies { fields.append(("copies", .integer(Int64(copies)))) }
        if let duplex = options.duplex { fields.append(("duplex", .integer(Int64(duplex.rawValue)))) }
        if let grayscale = options.grayscale { fields.append(("grayscale", .bool(grayscale))) }
        if let pageSize = options.pageSize { fields.append(("page_size", .string(pageSize))) }
        if let orientation = options.orientation { fields.append(("orientation", .integer(Int64(orientation.rawValue)))) }
        if let providerID = options.providerID { fields.append(("provider_id", .integer(Int64(providerID)))) }
        if let contentType { fields.append(("content_type", .string(contentType))) }
        if let declaredSize { fields.append(("size", .integer(declaredSize))) }
        if waitSeconds > 0 { fields.append(("wait", .integer(Int64(waitSeconds)))) }
        if let releaseTo { fields.append(("release_to", .string(releaseTo))) }
        return Array((FlatJSON.encode(fields) + "\n").utf8)
    }

    /// Parses the line (without its newline). Checks the version first, so a newer backend gets
    /// `unsupported-version` rather than a complaint about a field.
    public init(decoding line: [UInt8]) throws(HandoffHeaderError) {
        let object: [String: FlatJSONValue]
        do {
            object = try FlatJSON.decode(line)
        } catch {
            throw HandoffHeaderError(code: .badHeader, message: error.description)
        }
        guard case .integer(let version)? = object["v"] else {
            throw HandoffHeaderError(code: .badHeader, message: "missing protocol version \"v\"")
        }
        guard version == Int64(Self.currentVersion) else {
            throw HandoffHeaderError(
                code: .unsupportedVersion,
                message: "protocol version \(version) is not supported (this daemon speaks \(Self.currentVersion)); install matching spoolbridge and backend versions")
        }
        let fields = Fields(object: object)
        self.version = Self.currentVersion
        self.jobUUID = try fields.requiredString("job_uuid")
        self.cupsJobID = try fields.int("cups_job_id", in: 0...Int(Int32.max)) ?? 0
        self.printer = try fields.string("printer") ?? ""
        self.user = try fields.requiredString("user")
        self.title = try fields.string("title") ?? ""
        self.port = try fields.requiredString("port")
        var options = PrintOptions()
        options.copies = try fields.int("copies", in: 1...Int(Int32.max))
        if let duplex = try fields.int("duplex", in: 0...2) { options.duplex = PrintOptions.Duplex(rawValue: duplex) }
        options.grayscale = try fields.bool("grayscale")
        options.pageSize = try fields.string("page_size")
        if let orientation = try fields.int("orientation", in: 0...1) {
            options.orientation = PrintOptions.Orientation(rawValue: orientation)
        }
        options.providerID = try fields.int("provider_id", in: Int(Int32.min)...Int(Int32.max))
        self.options = options
        self.contentType = try fields.string("content_type")
        self.declaredSize = try fields.int("size", in: 0...Int.max).map(Int64.init)
        self.waitSeconds = min(try fields.int("wait", in: 0...Int.max) ?? 0, Self.maxWaitSeconds)
        self.releaseTo = try fields.string("release_to")
        if let releaseTo, !DocumentRelease.isPlausiblePrinter(releaseTo) {
            throw HandoffHeaderError(code: .badHeader, message: "release_to is not an output port's serial number or address")
        }
    }

    private struct Fields {
        let object: [String: FlatJSONValue]

        func bad(_ key: String, _ what: String) -> HandoffHeaderError {
            HandoffHeaderError(code: .badHeader, message: "field \"\(key)\" \(what)")
        }

        func string(_ key: String) throws(HandoffHeaderError) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw bad(key, "must be a string")
            }
        }

        func requiredString(_ key: String) throws(HandoffHeaderError) -> String {
            guard let value = try string(key), !value.isEmpty else { throw bad(key, "is missing or empty") }
            return value
        }

        func int(_ key: String, in range: ClosedRange<Int>) throws(HandoffHeaderError) -> Int? {
            switch object[key] {
            case nil, .null?: return nil
            case .integer(let value)?:
                guard let small = Int(exactly: value), range.contains(small) else { throw bad(key, "is out of range") }
                return small
            default: throw bad(key, "must be an integer")
            }
        }

        func bool(_ key: String) throws(HandoffHeaderError) -> Bool? {
            switch object[key] {
            case nil, .null?: return nil
            case .bool(let value)?: return value
            default: throw bad(key, "must be true or false")
            }
        }
    }
}

public struct HandoffHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: HandoffErrorCode
    public var message: String
    public var description: String { "invalid handoff header: \(message)" }
}
