#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A document being received from a stream (the CUPS backend) into `incoming/`. It becomes a job
/// only through `Outbox.enqueue(_:payload:)`; discarded or abandoned, it is never one.
/// Not Sendable: one connection writes it from one thread.
public final class PayloadWriter {
    let path: String
    let payloadName: String
    private let limit: Int64
    /// Checked every `spaceCheckInterval` bytes: a stream of unknown length may not eat the floor.
    private let hasFreeSpace: (Int64) -> Bool
    private var checkedAt: Int64 = 0
    static let spaceCheckInterval: Int64 = 1 << 20
    private var fd: Int32
    public private(set) var byteCount: Int64 = 0

    init(directory: String, payloadName: String, limit: Int64,
         hasFreeSpace: @escaping (Int64) -> Bool = { _ in true }) throws(OutboxError) {
        self.payloadName = payloadName
        self.path = directory + "/" + payloadName + ".part"
        self.limit = limit
        self.hasFreeSpace = hasFreeSpace
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .posix(errno, "create", path) }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutboxError) {
        guard fd >= 0 else { throw OutboxError(.io, "payload \(path) is already closed") }
        guard byteCount + Int64(bytes.count) <= limit else {
            discard()
            throw OutboxError(.tooLarge, "the document is over the limit of \(limit >> 20) MB (spool.max_document_mb)")
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if byteCount + Int64(bytes.count) - checkedAt >= Self.spaceCheckInterval {
            checkedAt = byteCount
            guard hasFreeSpace(Self.spaceCheckInterval) else {
                discard()
                throw OutboxError(.diskFull, "the spool fell below spool.min_free_mb while the document was received; "
                                    + "free space on the spool's file system (delivered documents free it too)")
            }
        }
        do {
            try Durability.writeAll(fd, base, bytes.count, path: path)
        } catch {
            discard()
            throw error
        }
        byteCount += Int64(bytes.count)
    }

    /// Removes the staging file: the transfer was aborted or refused.
    public func discard() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        unlink(path)
    }

    /// Flushes and closes; the caller then renames the file into `payloads/`.
    func finish() throws(OutboxError) {
        guard fd >= 0 else { throw OutboxError(.io, "payload \(path) was discarded") }
        let synced = fsync(fd) == 0
        let error = errno
        close(fd)
        fd = -1
        guard synced else {
            unlink(path)
            throw .posix(error, "fsync", path)
        }
    }
}
