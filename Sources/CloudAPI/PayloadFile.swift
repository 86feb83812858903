#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CFileSync
import NIOCore
import NIOPosix
import SpoolbridgeCore
import Synchronization

/// The document file being uploaded. Nothing here waits for the disk on the cooperative thread pool.
///
/// A small file (up to one chunk, the usual print job) is opened, checked and read whole at once.
/// When its pages are in the page cache (the spool wrote or flushed it moments ago) that happens
/// right here: a read that cannot wait for the disk (`preadv2` with `RWF_NOWAIT`) takes
/// microseconds, less than the two thread switches of a trip to NIO's blocking-I/O pool, which
/// cost more than the read for a 20 KB document. A file that is not cached is opened and read
/// there instead. Larger files are read a chunk at a time as the socket drains, the same way: from
/// the page cache right here when it holds the chunk, else on the pool.
///
/// The descriptor lives behind a lock held for each use (read, stat, close), so a close can never
/// race a read (the HTTP client may still pull a chunk after the server has answered early) and a
/// read never hits a closed or, worse, recycled descriptor number.
final class PayloadFile: Sendable {
    private let descriptor: Mutex<Int32>
    let path: String
    /// The size when opened: the Content-Length is computed from it.
    let size: Int64
    /// The whole file, when it was read at open.
    private let contents: ByteBuffer?

    private init(descriptor: Int32, path: String, size: Int64, contents: ByteBuffer?) {
        self.descriptor = Mutex(descriptor)
        self.path = path
        self.size = size
        self.contents = contents
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { _ = systemClose(fd) }
        }
    }

    /// The whole file as it was when opened, when it was small enough to read then.
    var wholeContents: ByteBuffer? { contents }

    /// Files up to this size are read whole when opened.
    static let wholeReadLimit = 256 * 1024

    /// Opens a regular file. A missing, unreadable or non-regular file is a permanent failure
    /// (retrying cannot fix it); other errors (out of descriptors, I/O) are transient.
    static func open(path: String) async throws(DeliveryFailure) -> PayloadFile {
        if case .opened(let result) = openNow(path: path, fromDisk: false) { return try result.get() }
        let result: Opening
        do {
            result = try await NIOThreadPool.singleton.runIfActive { openNow(path: path, fromDisk: true) }
        } catch {
            throw DeliveryFailure(kind: .transient, message: "cannot open document file \(path): the I/O thread pool is shut down")
        }
        guard case .opened(let opened) = result else {
            preconditionFailure("a read allowed to wait for the disk never asks for the pool")
        }
        return try opened.get()
    }

    /// What one attempt to open (and, when small, read) the file came to.
    enum Opening {
        case opened(Result<PayloadFile, DeliveryFailure>)
        /// Its pages are not all cached: to be done again where waiting for the disk is fine.
        case needsDisk
    }

    /// Opens and checks the file, and reads it whole when it is small. With `fromDisk` false only
    /// what the page cache holds is read (opening a file of the spool touches metadata its own
    /// writes keep cached).
    static func openNow(path: String, fromDisk: Bool) -> Opening {
        // O_NOFOLLOW: a payload swapped for a symlink must not send another file's bytes.
        let fd = systemOpen(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .opened(.failure(openFailure(errno: errno, path: path))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = systemClose(fd)
            return .opened(.failure(openFailure(errno: code, path: path)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = systemClose(fd)
            return .opened(.failure(DeliveryFailure(kind: .permanent, message: "document file \(path) is not a regular file")))
        }
        let size = Int64(info.st_size)
        var contents: ByteBuffer?
        if size <= wholeReadLimit {
            let read = readAll(fd, offset: 0, count: Int(size), path: path, cachedOnly: !fromDisk)
            if case .failure(let error) = read, error.isNotCached {
                _ = systemClose(fd)
                return .needsDisk
            }
            // A short read here is not an error yet: the upload reports the size change with its
            // usual message when it gets to the end of the file.
            // So is a file whose size moved while it was read (still being written): it is then
            // streamed, and the upload's end-of-file check fails it.
            var after = stat()
            guard case .success(let bytes) = read,
                  bytes.readableBytes == Int(size), fstat(fd, &after) == 0, Int64(after.st_size) == size else {
                return .opened(.success(PayloadFile(descriptor: fd, path: path, size: size, contents: nil)))
            }
            contents = bytes
        }
        return .opened(.success(PayloadFile(descriptor: fd, path: path, size: size, contents: contents)))
    }

    private static func openFailure(errno code: Int32, path: String) -> DeliveryFailure {
        let permanent: Set<Int32> = [ENOENT, EACCES, EPERM, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG]
        return DeliveryFailure(
            kind: permanent.contains(code) ? .permanent : .transient,
            message: "cannot open document file \(path): \(errorText(code))")
    }

    /// Up to `maximumCount` bytes at `offset`; an empty buffer at end of file. From the page cache at
    /// once when it holds them (a file written moments ago), else on the pool. (A file read whole at
    /// open is sent from `wholeContents` and never read in pieces.)
    func read(offset: Int64, maximumCount: Int) async throws -> ByteBuffer {
        let cached = descriptor.withLock { fd -> Result<ByteBuffer, PayloadReadError> in
            guard fd >= 0 else { return .failure(closedError()) }
            return Self.readAll(fd, offset: offset, count: maximumCount, path: path, cachedOnly: true)
        }
        if case .failure(let error) = cached, error.isNotCached {} else { return try cached.get() }
        let result = try await NIOThreadPool.singleton.runIfActive { [self] in
            descriptor.withLock { fd -> Result<ByteBuffer, PayloadReadError> in
                guard fd >= 0 else { return .failure(closedError()) }
                return Self.readAll(fd, offset: offset, count: maximumCount, path: path)
            }
        }
        return try result.get()
    }

    private func closedError() -> PayloadReadError {
        PayloadReadError(message: "document file \(path) was closed during the upload")
    }

    /// With `cachedOnly`, a read that would wait for the disk (or a file system that cannot say)
    /// fails with `isNotCached`.
    private static func readAll(
        _ fd: Int32, offset: Int64, count: Int, path: String, cachedOnly: Bool = false
    ) -> Result<ByteBuffer, PayloadReadError> {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        var failure: Int32?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            var filled = 0
            while filled < count {
                let start = pointer.baseAddress! + filled
                let got = cachedOnly
                    ? cfilesync_pread_cached(fd, start, UInt(count - filled), Int64(offset) + Int64(filled))
                    : pread(fd, start, count - filled, off_t(offset) + off_t(filled))
                if got > 0 {
                    filled += got
                } else if got == 0 {
                    break
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
            return filled
        }
        if let failure {
            if cachedOnly && [EAGAIN, EOPNOTSUPP, ENOSYS, EINVAL].contains(failure) {
                return .failure(PayloadReadError(message: "document file \(path) is not in the page cache", isNotCached: true))
            }
            return .failure(PayloadReadError(message: "cannot read document file \(path): \(errorText(failure))"))
        }
        return .success(buffer)
    }

    /// The file's size now, to notice a file that changed while it was being sent.
    func currentSize() async throws -> Int64 {
        let result = try await NIOThreadPool.singleton.runIfActive { [self] in
            descriptor.withLock { fd -> Result<Int64, PayloadReadError> in
                var info = stat()
                guard fd >= 0, fstat(fd, &info) == 0 else {
                    return .failure(PayloadReadError(message: "cannot stat document file \(path)"))
                }
                return .success(Int64(info.st_size))
            }
        }
        return try result.get()
    }

    /// Closes after any read in progress; later reads fail instead of touching a recycled
    /// descriptor. Closing a regular file does not block, so this needs no trip to the pool.
    func close() async {
        descriptor.withLock { fd in
            if fd >= 0 {
                _ = systemClose(fd)
                fd = -1
            }
        }
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// The file could not be read, or changed size, while it was being sent: worth another try.
struct PayloadReadError: Error, Sendable, CustomStringConvertible {
    var message: String
    /// Only a read that may not wait for the disk fails so; it is done again where it may.
    var isNotCached = false
    var description: String { message }
}

// The C functions under names that do not clash with our own `open`/`close` methods.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
