import Foundation
import SpoolbridgeCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import Outbox

/// A clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp

    init(_ start: Timestamp = Timestamp(millisecondsSince1970: 1_700_000_000_000)) {
        current = start
    }

    var now: Timestamp { lock.withLock { current } }

    func advance(seconds: Double) {
        lock.withLock { current = current.adding(seconds: seconds) }
    }

    var function: @Sendable () -> Timestamp { { self.now } }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A temp directory holding a spool, a hot folder and its failed and archive folders, with an outbox
/// on a hand-driven clock. `reopen()` opens a second `Outbox` on the same spool: the daemon after a restart.
final class OutboxFixture: @unchecked Sendable {
    let root: String
    let spool: String
    let hot: String
    let hotFailed: String
    let archive: String
    let clock = TestClock()
    let maxDocumentBytes: Int64
    let outbox: Outbox

    init(maxDocumentBytes: Int64 = 200 << 20, retryPolicy: RetryPolicy = RetryPolicy()) throws {
        var template = Array("/tmp/spoolbridge-outbox-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("mkdtemp failed: errno \(errno)") }
        root = String(cString: made)
        spool = root + "/spool"
        hot = root + "/hot"
        hotFailed = root + "/hot-failed"
        archive = root + "/hot-done"
        try FileManager.default.createDirectory(atPath: hot, withIntermediateDirectories: false)
        self.maxDocumentBytes = maxDocumentBytes
        outbox = try Outbox(
            directory: spool, maxDocumentBytes: maxDocumentBytes, minFreeBytes: 0, retryPolicy: retryPolicy,
            clock: clock.function)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The daemon after a restart: a fresh `Outbox` on the same spool and clock.
    func reopen() throws -> Outbox {
        try Outbox(directory: spool, maxDocumentBytes: maxDocumentBytes, minFreeBytes: 0, clock: clock.function)
    }

    var layout: SpoolLayout { outbox.layout }

    // MARK: Sources

    /// Writes a file into the hot folder (mode 0644, as a Samba or NFS client would leave it).
    @discardableResult
    func drop(_ name: String, _ text: String = "%PDF-1.4 sample", in directory: String? = nil) throws -> String {
        let path = (directory ?? hot) + "/" + name
        try writeFile(path, text)
        chmod(path, 0o644)
        return path
    }

    func hotFolderFile(_ path: String, user: String = "alice", archive: Bool = false) -> HotFolderFile {
        let title = String(path.split(separator: "/").last ?? "")
        return HotFolderFile(
            path: path,
            request: DocumentRequest(username: user, portname: "Finance", title: title, options: PrintOptions(copies: 2, duplex: .longEdge)),
            origin: .init(originalPath: path, failedDirectory: hotFailed, archiveDirectory: archive ? self.archive : nil))
    }

    /// Drops and claims one hot-folder file; returns its job.
    func claimNewFile(_ name: String, _ text: String = "%PDF-1.4 sample", archive: Bool = false) throws -> Job {
        let path = try drop(name, text)
        let outcomes = try outbox.claimHotFolderFiles([hotFolderFile(path, archive: archive)])
        guard case .claimed(let id, _)? = outcomes.first, let job = try outbox.job(id) else {
            throw FixtureError("claiming \(name) gave \(outcomes)")
        }
        return job
    }

    func cupsSubmission(uuid: String, title: String = "invoice.pdf") -> JobSubmission {
        JobSubmission(
            request: DocumentRequest(username: "bob", portname: "Office", title: title),
            source: .cups(.init(jobUUID: uuid, cupsJobID: 17, printer: "cloud")))
    }

    /// Streams `bytes` into a payload writer in small chunks, the way the CUPS backend sends them.
    func streamedPayload(_ bytes: [UInt8], title: String = "invoice.pdf", chunk: Int = 7) throws -> PayloadWriter {
        let writer = try outbox.makePayloadWriter(title: title)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            try bytes[offset..<end].withUnsafeBytes { try writer.write($0) }
            offset = end
        }
        return writer
    }

    /// Takes `job` for upload (it must be the only due one) and returns it as uploading.
    func startUpload(of job: Job) throws -> Job {
        let claimed = try outbox.claimDueJobs(limit: 100)
        guard let started = claimed.first(where: { $0.id == job.id }) else {
            throw FixtureError("job \(job.id) was not due: claimed \(claimed.map(\.id))")
        }
        return started
    }

    // MARK: On-disk states, for crash recovery

    /// Commits a row directly, as a crashed daemon might have left it.
    @discardableResult
    func insertRow(
        state: JobState, source: JobSource, title: String = "report.pdf", payloadName: String,
        payloadSize: Int64 = 5, lastError: DeliveryFailure? = nil, documentUUID: String? = nil, into outbox: Outbox? = nil
    ) throws -> JobID {
        var record = JobRecord(
            newJobWith: DocumentRequest(username: "alice", portname: "Finance", title: title),
            source: source, state: state, payloadName: payloadName, payloadSize: payloadSize, now: clock.now)
        record.lastError = lastError
        record.documentUUID = documentUUID
        if state != .queued { record.nextAttemptAt = nil }
        let box = outbox ?? self.outbox
        return try box.write { db in
            try record.insert(db)
            return JobID(record.id!)
        }
    }

    // MARK: Looking

    func contents(of directory: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }

    func allJobs(_ box: Outbox? = nil) throws -> [Job] {
        try (box ?? outbox).jobs(states: nil, limit: 10_000)
    }
}

/// A folder on another file system than the spool (the spool is under /tmp, this is tmpfs
/// /dev/shm), so a move between them is copy + fsync + unlink rather than a rename.
final class OtherFileSystemFolder {
    let path: String

    init() throws {
        var template = Array("/dev/shm/spoolbridge-hot-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError("mkdtemp in /dev/shm failed: errno \(errno)") }
        path = String(cString: made)
    }

    /// Whether `path` and `other` really are on different file systems on this machine.
    func isOnAnotherFileSystem(than other: String) -> Bool {
        var mine = stat()
        var theirs = stat()
        return stat(path, &mine) == 0 && stat(other, &theirs) == 0 && mine.st_dev != theirs.st_dev
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

func writeFile(_ path: String, _ text: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw FixtureError("cannot create \(path)")
    }
}

func readText(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

func exists(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0
}

/// The permission bits of `path`, or nil when it does not exist.
func mode(of path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

func octal(_ mode: mode_t?) -> String {
    mode.map { "0" + String($0, radix: 8) } ?? "missing"
}

/// Whether `signal` fires (or already fired) within `timeout`.
func receivesSignal(_ signal: WorkSignal, within timeout: Duration = .seconds(5)) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            var iterator = signal.signals.makeAsyncIterator()
            return await iterator.next() != nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
