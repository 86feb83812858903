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

    public var path: String
    public var port: String
    public var owner: Owner
    public var options: PrintOptions
    /// Delivered files move here; nil deletes them once delivered.
    public var archiveDirectory: String?
    /// Undeliverable files land here with `NAME.error.txt` beside them.
    public var failedDirectory: String

    public init(
        path: String, port: String, owner: Owner, options: PrintOptions = PrintOptions(),
        archiveDirectory: String? = nil, failedDirectory: String
    ) {
        self.path = path
        self.port = port
        self.owner = owner
        self.options = options
        self.archiveDirectory = archiveDirectory
        self.failedDirectory = failedDirectory
    }
}
