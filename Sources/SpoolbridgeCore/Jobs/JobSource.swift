/// Where a job came from, and the key that makes handing the same source over twice create one job.
public enum JobSource: Sendable, Hashable, Codable {
    /// A file taken from a hot folder. `originalPath` is where it was found; `failedDirectory`
    /// and `archiveDirectory` are where it goes once the job ends.
    case hotFolder(HotFolderOrigin)
    /// A CUPS job handed over by the backend; `jobUUID` is CUPS's `job-uuid`.
    case cups(CupsOrigin)

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

    public var kind: String {
        switch self {
        case .hotFolder: "hotfolder"
        case .cups: "cups"
        }
    }
}
