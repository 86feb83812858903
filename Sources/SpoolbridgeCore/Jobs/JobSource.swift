/// Where a job came from, and the key that makes handing the same source over twice create one job.
public enum JobSource: Sendable, Hashable, Codable {
    /// A file taken from a hot folder. `originalPath` is where it was found; `failedDirectory`
    /// and `archiveDirectory` are where it goes once the job ends.
    case hotFolder(HotFolderOrigin)
    /// A CUPS job handed over by the backend; `jobUUID` is CUPS's `job-uuid`.
    case cups(CupsOrigin)
    /// A record, release or card swipe from the CLI, a records file, the card reader or a push
    /// queue. `key`, when set, makes handing the same thing over twice create one job (a records
    /// file read again after a crash).
    case submitted(SubmissionOrigin)

    public struct HotFolderOrigin: Sendable, Hashable, Codable {
        public var originalPath: String
        public var failedDirectory: String?
        public var archiveDirectory: String?

        public init(originalPath: String, failedDirectory: String? = nil, archiveDirectory: String? = nil) {
            self.originalPath = originalPath
            self.failedDirectory = failedDirectory
            self.archiveDirectory = archiveDirectory
        }
    }

    public struct CupsOrigin: Sendable, Hashable, Codable {
        public var jobUUID: String
        public var cupsJobID: Int
        public var printer: String

        public init(jobUUID: String, cupsJobID: Int, printer: String) {
            self.jobUUID = jobUUID
            self.cupsJobID = cupsJobID
            self.printer = printer
        }
    }

    public struct SubmissionOrigin: Sendable, Hashable, Codable {
        public enum Channel: String, Sendable, Hashable, Codable {
            case cli
            case recordsFile = "records-file"
            case cardReader = "card-reader"
            case pushQueue = "push-queue"
        }

        public var channel: Channel
        /// For the admin: the file and line, the reader's connection, the upload job it follows.
        public var detail: String
        public var key: String?

        public init(channel: Channel, detail: String, key: String? = nil) {
            self.channel = channel
            self.detail = detail
            self.key = key
        }
    }

    public var kind: String {
        switch self {
        case .hotFolder: "hotfolder"
        case .cups: "cups"
        case .submitted(let origin): origin.channel.rawValue
        }
    }

    /// The key that makes a second hand-over of the same source one job; nil when none.
    public var idempotencyKey: String? {
        switch self {
        case .hotFolder: nil
        case .cups(let origin): "cups:" + origin.jobUUID
        case .submitted(let origin): origin.key.map { origin.channel.rawValue + ":" + $0 }
        }
    }
}
