/// The cloud's record of an uploaded document (`DocumentInfo` in the API reference).
/// Only `uuid` is required; the rest is kept when the server sends it, for logs and the CLI.
public struct DocumentInfo: Sendable, Codable, Hashable {
    public var uuid: String
    public var documentName: String?
    public var userName: String?
    /// 0 READY, 1 PRINTED, … 5 RECEIVED, 6 AWAITING_CONVERSION … (see the API reference).
    public var status: Int?
    public var providerId: Int?
    public var totalPages: Int?
    public var copies: Int?
    public var duplex: Int?
    public var grayscale: Bool?
    public var paperSize: String?
    public var outputPortName: String?
    public var jobType: String?

    public init(
        uuid: String, documentName: String? = nil, userName: String? = nil, status: Int? = nil, providerId: Int? = nil,
        totalPages: Int? = nil, copies: Int? = nil, duplex: Int? = nil, grayscale: Bool? = nil,
        paperSize: String? = nil, outputPortName: String? = nil, jobType: String? = nil
    ) {
        self.uuid = uuid
        self.documentName = documentName
        self.userName = userName
        self.status = status
        self.providerId = providerId
        self.totalPages = totalPages
        self.copies = copies
        self.duplex = duplex
        self.grayscale = grayscale
        self.paperSize = paperSize
        self.outputPortName = outputPortName
        self.jobType = jobType
    }

    /// Lenient: an optional field of an unexpected type is dropped rather than failing the
    /// upload that already succeeded. A missing or empty `uuid` does fail.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uuid = try c.decode(String.self, forKey: .uuid)
        guard !uuid.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .uuid, in: c, debugDescription: "empty uuid")
        }
        documentName = try? c.decodeIfPresent(String.self, forKey: .documentName)
        userName = try? c.decodeIfPresent(String.self, forKey: .userName)
        status = try? c.decodeIfPresent(Int.self, forKey: .status)
        providerId = try? c.decodeIfPresent(Int.self, forKey: .providerId)
        totalPages = try? c.decodeIfPresent(Int.self, forKey: .totalPages)
        copies = try? c.decodeIfPresent(Int.self, forKey: .copies)
        duplex = try? c.decodeIfPresent(Int.self, forKey: .duplex)
        grayscale = try? c.decodeIfPresent(Bool.self, forKey: .grayscale)
        paperSize = try? c.decodeIfPresent(String.self, forKey: .paperSize)
        outputPortName = try? c.decodeIfPresent(String.self, forKey: .outputPortName)
        jobType = try? c.decodeIfPresent(String.self, forKey: .jobType)
    }

    enum CodingKeys: String, CodingKey {
        case uuid, documentName, userName, status, providerId, totalPages, copies, duplex, grayscale, paperSize
        case outputPortName, jobType
    }
}
