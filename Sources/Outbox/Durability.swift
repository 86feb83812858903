import CFileSync
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system steps the outbox's promises rest on: flush a file, flush a directory entry,
/// move a file durably (rename, or copy + fsync + unlink across file systems).
enum Durability {
    static func fsyncFile(at path: String) throws(OutboxError) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .posix(errno, "open", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .posix(errno, "fsync", path) }
    }

    /// Flushes the data of `paths`. One fsync per file costs a disk round-trip each (3–4 ms on
    /// the benchmark machine); past a handful of files a single syncfs(2) of the spool's file
    /// system flushes the whole batch at once.
    static func flushFiles(_ paths: [String], directory: String) throws(OutboxError) {
        guard !paths.isEmpty else { return }
        if paths.count <= 8 {
            for path in paths { try fsyncFile(at: path) }
            return
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix(errno, "open directory", directory) }
        defer { close(fd) }
        guard cfilesync_syncfs(fd) == 0 else { throw .posix(errno, "syncfs", directory) }
    }

    /// A rename or create is durable only once its directory is flushed.
    static func fsyncDirectory(_ path: String) throws(OutboxError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix(errno, "open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .posix(errno, "fsync directory", path) }
    }

    enum MoveResult { case moved, sourceMissing }

    /// Moves `source` to `destination`. Same file system: one rename. Otherwise the bytes are copied to
    /// `destination.partial`, flushed, renamed into place, and only then is the source unlinked, so a
    /// crash leaves the document in at least one of the two places. The caller flushes the directories.
    static func move(_ source: String, to destination: String) throws(OutboxError) -> MoveResult {
        if rename(source, destination) == 0 { return .moved }
        let renameError = errno
        if renameError == ENOENT { return .sourceMissing }
        guard renameError == EXDEV else { throw .posix(renameError, "move \(source) to", destination) }
        let partial = parentDirectory(of: destination) + "/"
            + FileNameLimit.fitting(lastComponent(of: destination), suffix: ".partial")
        switch try copy(source, to: partial) {
        case .sourceMissing: return .sourceMissing
        case .moved: break
        }
        guard rename(partial, destination) == 0 else {
            let error = errno
            unlink(partial)
            throw .posix(error, "rename", partial)
        }
        if unlink(source) != 0 && errno != ENOENT { throw .posix(errno, "remove", source) }
        return .moved
    }

    /// Copies with O_NOFOLLOW on the source (never follow a symlink out of a hot folder) and fsyncs the copy.
    static func copy(_ source: String, to destination: String) throws(OutboxError) -> MoveResult {
        // O_NONBLOCK: a FIFO must not hang the copy; it is refused just below.
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else {
            if errno == ENOENT { return .sourceMissing }
            throw .posix(errno, "open", source)
        }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw .posix(errno, "stat", source) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw OutboxError(.io, "\(source) is not a regular file and cannot be copied to another file system")
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .posix(errno, "create", destination) }
        var succeeded = false
        defer {
            close(output)
            if !succeeded { unlink(destination) }
        }
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(input, buffer, bufferSize)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .posix(errno, "read", source)
            }
            try writeAll(output, buffer, count, path: destination)
        }
        guard fsync(output) == 0 else { throw .posix(errno, "fsync", destination) }
        succeeded = true
        return .moved
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, path: String) throws(OutboxError) {
        var offset = 0
        while offset < count {
            let written = write(fd, bytes + offset, count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .posix(errno, "write", path)
            }
            offset += written
        }
    }

    /// Writes a small file atomically: temp file, fsync, rename, then the directory is flushed.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t = 0o600) throws(OutboxError) {
        let temporary = parentDirectory(of: path) + "/"
            + FileNameLimit.fitting(lastComponent(of: path), suffix: ".tmp-\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .posix(errno, "create", temporary) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { raw in
            Result { () throws(OutboxError) in try writeAll(fd, raw.baseAddress!, raw.count, path: temporary) }
        }
        if case .failure(let error) = written {
            close(fd)
            unlink(temporary)
            throw error
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw .posix(error, "write", path)
        }
        try fsyncDirectory(parentDirectory(of: path))
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// True when `original` is the source of a finished cross-file-system copy to `copy`: both exist,
    /// on different devices, with the expected size.
    static func isLeftoverOfCopy(_ original: String, copiedTo copy: String, size: Int64) -> Bool {
        var source = stat()
        var destination = stat()
        guard lstat(original, &source) == 0, lstat(copy, &destination) == 0 else { return false }
        return source.st_dev != destination.st_dev && Int64(source.st_size) == size && Int64(destination.st_size) == size
    }

    /// Creates the directory (and parents) with `mode` when missing.
    static func makeDirectory(_ path: String, mode: mode_t) throws(OutboxError) {
        if exists(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path && !exists(parent) { try makeDirectory(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw .posix(errno, "create directory", path) }
    }
}
