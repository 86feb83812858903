/// What a job asks of the cloud. Stored by name in the outbox (`job.kind`), shown by `jobs` and `status`.
public enum JobKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// `PUT /documents`: the payload file becomes a cloud document.
    case upload
    /// `POST /documents/history`: a copy, scan, fax or print recorded after the fact.
    case record
    /// `POST /documents/UUID/SERIAL-or-ADDRESS`: a delivered document sent to an output port.
    case release
    /// `POST /card?cd=…&Mac=…`: a card swipe that releases the card owner's jobs at a reader.
    case card
}

/// One payload shape per kind: what the sender needs besides the job's id. Uploads keep their
/// document fields in `Job.request` and their bytes in the payload file, as before kinds existed.
public enum JobTask: Sendable, Hashable, Codable {
    case upload(UploadFollowUp)
    case record(HistoryRecord)
    case release(DocumentRelease)
    case card(CardSwipe)

    /// A plain upload: nothing happens after it.
    public static let upload = JobTask.upload(UploadFollowUp())

    public var kind: JobKind {
        switch self {
        case .upload: .upload
        case .record: .record
        case .release: .release
        case .card: .card
        }
    }
}

/// What follows a successful upload. A push queue (`release_to`) releases the document to an
/// output port: the release job is inserted in the transaction that records the upload delivered.
public struct UploadFollowUp: Sendable, Hashable, Codable {
    /// The output port's serial number or address.
    public var releaseTo: String?
    /// The release's options (`release --job ID --copies 2`); nil fields are not sent.
    public var copies: Int?
    public var grayscale: Bool?
    public var duplex: PrintOptions.Duplex?
    public var retain: Bool?

    public init(
        releaseTo: String? = nil, copies: Int? = nil, grayscale: Bool? = nil, duplex: PrintOptions.Duplex? = nil,
        retain: Bool? = nil
    ) {
        self.releaseTo = releaseTo
        self.copies = copies
        self.grayscale = grayscale
        self.duplex = duplex
        self.retain = retain
    }

    /// The release of the document `uuid` this follow-up asks for; nil without `releaseTo`.
    public func release(of uuid: String, after job: JobID?) -> DocumentRelease? {
        releaseTo.map {
            DocumentRelease(
                documentUUID: uuid, printer: $0, copies: copies, grayscale: grayscale, duplex: duplex, retain: retain,
                afterJob: job)
        }
    }
}
