#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import NIOCore
import SpoolbridgeCore

/// The document file being uploaded, read in chunks off the cooperative thread pool.
///
/// Every use of the descriptor (open, read, close) runs on one private serial queue: reads never
/// block Swift's cooperative threads, and a close can never race a read (the HTTP client may
/// still pull a chunk after the server has answered early), so a read never hits a closed or,
/// worse, recycled descriptor number.
final class PayloadFile: @unchecked Sendable {
    // `descriptor` is touched only on `queue`; that is what makes the unchecked Sendable sound.
    private var descriptor: Int32
    private let queue: DispatchQueue
    let path: String
    /// The size when opened: the Content-Length is computed from it.
    let size: Int64

    private init(descriptor: Int32, queue: DispatchQueue, path: String, size: Int64) {
        self.descriptor = descriptor
        self.queue = queue
        self.path = path
        self.size = size
    }

    deinit {
        if descriptor >= 0 { _ = systemClose(descriptor) }
    }

    /// Opens a regular file. A missing, unreadable or non-regular file is a permanent failure
    /// (retrying cannot fix it); other errors (out of descriptors, I/O) are transient.
    static func open(path: String) async throws(DeliveryFailure) -> PayloadFile {
        let queue = DispatchQueue(label: "spoolbridge.cloud.payload-read")
        let result: Result<PayloadFile, DeliveryFailure> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: openNow(path: path, queue: queue))
            }
        }
        return try result.get()
    }

    private static func openNow(path: String, queue: DispatchQueue) -> Result<PayloadFile, DeliveryFailure> {
        // O_NOFOLLOW: a payload swapped for a symlink must not send another file's bytes.
        let fd = systemOpen(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(openFailure(errno: errno, path: path)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = systemClose(fd)
            return .failure(openFailure(errno: code, path: path))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = systemClose(fd)
            return .failure(DeliveryFailure(kind: .permanent, message: "document file \(path) is not a regular file"))
        }
        return .success(PayloadFile(descriptor: fd, queue: queue, path: path, size: Int64(info.st_size)))
    }

    private static func openFailure(errno code: Int32, path: String) -> DeliveryFailure {
        let permanent: Set<Int32> = [ENOENT, EACCES, EPERM, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG]
        return DeliveryFailure(
            kind: permanent.contains(code) ? .permanent : .transient,
            message: "cannot open document file \(path): \(errorText(code))")
    }

    /// Up to `maximumCount` bytes at `offset`; an empty buffer at end of file.
    func read(offset: Int64, maximumCount: Int) async throws -> ByteBuffer {
        let result: Result<ByteBuffer, PayloadReadError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: self.readNow(offset: offset, maximumCount: maximumCount))
            }
        }
        return try result.get()
    }

    private func readNow(offset: Int64, maximumCount: Int) -> Result<ByteBuffer, PayloadReadError> {
        guard descriptor >= 0 else {
            return .failure(PayloadReadError(message: "document file \(path) was closed during the upload"))
        }
        var buffer = ByteBufferAllocator().buffer(capacity: maximumCount)
        var failure: Int32?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximumCount) { pointer in
            var filled = 0
            while filled < maximumCount {
                let got = pread(descriptor, pointer.baseAddress! + filled, maximumCount - filled, off_t(offset) + off_t(filled))
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
            return .failure(PayloadReadError(message: "cannot read document file \(path): \(Self.errorText(failure))"))
        }
        return .success(buffer)
    }

    /// The file's size now, to notice a file that changed while it was being sent.
    func currentSize() async throws -> Int64 {
        let result: Result<Int64, PayloadReadError> = await withCheckedContinuation { continuation in
            queue.async {
                var info = stat()
                if self.descriptor >= 0, fstat(self.descriptor, &info) == 0 {
                    continuation.resume(returning: .success(Int64(info.st_size)))
                } else {
                    continuation.resume(returning: .failure(PayloadReadError(message: "cannot stat document file \(self.path)")))
                }
            }
        }
        return try result.get()
    }

    /// Closes after any read in progress; later reads fail instead of touching a recycled descriptor.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if self.descriptor >= 0 {
                    _ = systemClose(self.descriptor)
                    self.descriptor = -1
                }
                continuation.resume()
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
    var description: String { message }
}

// The C functions under names that do not clash with our own `open`/`close` methods.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
