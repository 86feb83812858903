import Glibc

/// What `lstat(2)` says about a directory entry: enough to classify it and to tell whether it is still changing.
struct FileStatus: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown
    }

    var kind: Kind
    var size: Int64
    var owner: uid_t
    var linkCount: UInt64
    /// Size, mtime and identity: a file is settled once this stays the same for the settle time.
    var stamp: Stamp

    struct Stamp: Sendable, Hashable {
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
        var device: UInt64
        var inode: UInt64
    }

    init(_ raw: stat) {
        switch raw.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .unknown
        }
        size = Int64(raw.st_size)
        owner = raw.st_uid
        linkCount = UInt64(raw.st_nlink)
        stamp = Stamp(
            size: Int64(raw.st_size), modifiedSeconds: raw.st_mtim.tv_sec, modifiedNanoseconds: raw.st_mtim.tv_nsec,
            device: UInt64(raw.st_dev), inode: UInt64(raw.st_ino))
    }

    /// The entry itself, never what a symbolic link points to; ENOENT when it is gone.
    static func of(path: String) -> Result<FileStatus, Errno> {
        var raw = stat()
        guard lstat(path, &raw) == 0 else { return .failure(Errno(errno)) }
        return .success(FileStatus(raw))
    }

    /// What the path leads to, following links: for directories an admin configured, which may well be links.
    static func followingLinks(path: String) -> Result<FileStatus, Errno> {
        var raw = stat()
        guard stat(path, &raw) == 0 else { return .failure(Errno(errno)) }
        return .success(FileStatus(raw))
    }

    /// An errno value, for results that are not thrown.
    struct Errno: Error, Sendable, Hashable {
        var code: Int32
        init(_ code: Int32) { self.code = code }
        var text: String { HotFolderError.errorText(code) }
    }
}

extension FileStatus.Kind {
    /// How a refusal names the entry: "is a FIFO (named pipe)".
    var refusalPhrase: String {
        switch self {
        case .regular: "is a regular file"
        case .directory: "is a directory"
        case .symbolicLink: "is a symbolic link"
        case .fifo: "is a FIFO (named pipe)"
        case .socket: "is a socket"
        case .characterDevice: "is a character device"
        case .blockDevice: "is a block device"
        case .unknown: "is not a regular file"
        }
    }
}
