/// One `[[hotfolder]]` of the configuration: a drop folder whose files become documents.
public struct HotFolderSettings: Sendable, Hashable {
    /// Who owns the documents dropped here.
    public enum Owner: Sendable, Hashable {
        /// Every file belongs to this cloud user.
        case fixed(String)
        /// `path/<user>/file.pdf`: the first-level subfolder's name is the user.
        case subfolder
        /// The file's owning Unix user.
        case fileOwner
    }

    /// What the folder takes: documents to upload, or records files (`[[records]]`, JSON Lines).
    public enum Intake: Sendable, Hashable {
        case documents
        case records
    }

    public var path: String
    public var intake: Intake = .documents
    public var port: String
    public var owner: Owner
    public var options: PrintOptions
    /// Delivered files move here; nil deletes them once delivered.
    public var archiveDirectory: String?
    /// Undeliverable files land here with `NAME.error.txt` beside them.
    public var failedDirectory: String
    /// How long a file must stay unchanged (size and mtime, no writes) after its last close, or after a scan
    /// found it, before it is taken (`settle_ms`). Writers that close and reopen a file (SMB clients, scanners)
    /// need it longer than their longest pause.
    public var settleTime: Duration
    /// A push queue (`release_to`): each document is released to this output port (serial number or
    /// address) right after its upload succeeds.
    public var releaseTo: String?

    /// `settle_ms` when unset: long enough for an SMB client's close-and-reopen, short enough to feel immediate.
    public static let defaultSettleTime: Duration = .milliseconds(300)

    public init(
        path: String, port: String, owner: Owner, options: PrintOptions = PrintOptions(),
        archiveDirectory: String? = nil, failedDirectory: String, settleTime: Duration = defaultSettleTime,
        releaseTo: String? = nil
    ) {
        self.releaseTo = releaseTo
        self.path = path
        self.port = port
        self.owner = owner
        self.options = options
        self.archiveDirectory = archiveDirectory
        self.failedDirectory = failedDirectory
        self.settleTime = settleTime
    }
}
