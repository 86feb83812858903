/// What CUPS gave the backend for one job: its arguments and the environment it matters to read.
/// `header(declaredSize:)` turns it into the handoff header, applying the rules for copies, the
/// title's extension, the port and the idempotency key.
public struct CupsJobInvocation: Sendable, Hashable {
    /// argv[1].
    public var jobID: String
    /// argv[2].
    public var user: String
    /// argv[3].
    public var title: String
    /// argv[4].
    public var copies: String
    /// argv[5], parsed.
    public var options: CupsJobOptions
    /// argc == 7: CUPS passed the spool file (no filter ran), so the backend owns the copies.
    public var hasFileArgument: Bool
    /// The queue's PPD says `*cupsManualCopies: True`: the filters already made the copies.
    public var ppdManualCopies: Bool
    /// `DEVICE_URI`.
    public var deviceURI: String
    /// `PRINTER`: the queue name.
    public var printer: String
    /// `CONTENT_TYPE`: the format the job was submitted in.
    public var contentType: String?
    /// `FINAL_CONTENT_TYPE`: the format the filters produce for the backend.
    public var finalContentType: String?

    public init(
        jobID: String, user: String, title: String, copies: String, options: CupsJobOptions,
        hasFileArgument: Bool, ppdManualCopies: Bool = false, deviceURI: String, printer: String,
        contentType: String? = nil, finalContentType: String? = nil
    ) {
        self.jobID = jobID
        self.user = user
        self.title = title
        self.copies = copies
        self.options = options
        self.hasFileArgument = hasFileArgument
        self.ppdManualCopies = ppdManualCopies
        self.deviceURI = deviceURI
        self.printer = printer
        self.contentType = contentType
        self.finalContentType = finalContentType
    }

    public func header(declaredSize: Int64? = nil) throws(CupsJobError) -> HandoffHeader {
        let uri = try SpoolbridgeDeviceURI(parsing: deviceURI)
        guard let jobNumber = Int(jobID), jobNumber > 0 else {
            throw CupsJobError(code: .badJobID, message: "job id \"\(jobID)\" is not a positive number")
        }
        var options = try options.printOptions()
        options.copies = try copiesOwed()
        let format = documentFormat
        return HandoffHeader(
            jobUUID: self.options.jobUUID ?? fallbackJobUUID(jobNumber),
            cupsJobID: jobNumber,
            printer: printer,
            user: user,
            title: Self.title(title, jobNumber: jobNumber, format: format),
            port: uri.port,
            options: options,
            contentType: format,
            declaredSize: declaredSize,
            waitSeconds: uri.waitSeconds,
            releaseTo: uri.releaseTo)
    }

    /// With a spool file the backend owns argv[4] copies. Without one, filters ran: they made the
    /// copies only when the PPD says `cupsManualCopies: True`, else the copies are still owed.
    /// Either way the cloud gets one document with a copies field.
    public func copiesOwed() throws(CupsJobError) -> Int {
        guard let requested = Int(copies), requested >= 1 else {
            throw CupsJobError(code: .badCopies, message: "copies \"\(copies)\" is not a positive number")
        }
        if !hasFileArgument && ppdManualCopies { return 1 }
        return requested
    }

    /// The format of the bytes the backend receives: the filters' output type when filters ran,
    /// else the submitted type. `printer/…` is CUPS's name for "whatever the queue takes".
    public var documentFormat: String? {
        func clean(_ type: String?) -> String? {
            guard let type else { return nil }
            let bare = type.prefix { $0 != ";" }.filter { $0 != " " }.lowercased()
            return bare.isEmpty || bare.hasPrefix("printer/") ? nil : bare
        }
        return clean(finalContentType) ?? clean(contentType)
    }

    /// Without `job-uuid` (a backend run by hand) the key is the queue and job number: unique
    /// enough for a test, and the same when that run is repeated.
    private func fallbackJobUUID(_ jobNumber: Int) -> String {
        "urn:spoolbridge:cups:\(printer):\(jobNumber)"
    }

    /// The cloud needs the extension of a non-PDF document in its title.
    public static func title(_ title: String, jobNumber: Int, format: String?) -> String {
        let base = title.isEmpty ? "cups-job-\(jobNumber)" : title
        guard let format, let ext = fileExtension(forFormat: format) else { return base }
        return base.lowercased().hasSuffix("." + ext) ? base : base + "." + ext
    }

    public static func fileExtension(forFormat format: String) -> String? {
        switch format.lowercased() {
        case "application/pdf", "application/vnd.cups-pdf": "pdf"
        case "application/postscript", "application/vnd.cups-postscript": "ps"
        case "application/vnd.hp-pcl": "pcl"
        case "text/plain": "txt"
        default: nil
        }
    }
}
