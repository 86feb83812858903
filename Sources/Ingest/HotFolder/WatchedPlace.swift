/// A directory spoolbridge watches: a hot folder, or (owner = "subfolder") one of its first-level subfolders.
struct WatchedPlace: Sendable, Hashable {
    /// Index of the hot folder's settings.
    var folder: Int
    /// The subfolder's name (the user), nil for the hot folder itself.
    var subfolder: String?
    var path: String

    func child(_ name: String) -> String {
        path == "/" ? "/\(name)" : "\(path)/\(name)"
    }
}

/// A directory's identity, to recognise the failed and archive directories whatever path spells them.
struct DirectoryIdentity: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64

    init(_ status: FileStatus) {
        device = status.stamp.device
        inode = status.stamp.inode
    }
}

extension String {
    /// The path without trailing slashes ("/" stays "/").
    var withoutTrailingSlashes: String {
        var path = Substring(self)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}
