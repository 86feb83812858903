import Glibc

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

    /// A hot folder may be a link an admin set up; a user's subfolder must be a real directory, or a link
    /// planted there would lead the watch (and the files taken) out of the hot folder.
    var watchMask: UInt32 {
        subfolder == nil ? InotifyWatcher.directoryMask : InotifyWatcher.directoryMask | UInt32(bitPattern: IN_DONT_FOLLOW)
    }

    /// Whether a subfolder is still the real directory it was when watched (not swapped for a link since).
    /// Paths under it are resolved through it again at every step, so this is checked before each batch.
    var isStillADirectory: Bool {
        subfolder == nil || (try? FileStatus.of(path: path).get().kind) == .directory
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
