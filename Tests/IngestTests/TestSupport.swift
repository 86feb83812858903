import Foundation
import Glibc
import Logging
import Outbox
import SpoolbridgeCore
import Testing

@testable import Ingest

/// A temp directory with a hot folder, its failed folder and a real outbox, and the service running over it.
final class HotFolderFixture: @unchecked Sendable {
    let root: String
    let hot: String
    let failed: String
    let spool: String
    let outbox: Outbox
    let logs = HotFolderLogCapture()
    /// Every folder-state snapshot the service published, in order.
    let folderStates = Recorder<[String: HotFolderState]>()
    private var service: Task<Void, any Error>?
    private var stateReader: Task<Void, Never>?

    init(maxDocumentBytes: Int64 = 200 << 20, minFreeBytes: Int64 = 0) throws {
        var template = Array("/tmp/spoolbridge-ingest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HotFolderFixtureError("mkdtemp failed: errno \(errno)") }
        root = String(cString: made)
        hot = root + "/hot"
        failed = root + "/failed"
        spool = root + "/spool"
        try FileManager.default.createDirectory(atPath: hot, withIntermediateDirectories: false)
        outbox = try Outbox(directory: spool, maxDocumentBytes: maxDocumentBytes, minFreeBytes: minFreeBytes)
    }

    deinit {
        service?.cancel()
        stateReader?.cancel()
        try? FileManager.default.removeItem(atPath: root)
    }

    func settings(
        owner: HotFolderSettings.Owner = .fixed("alice"), failed: String? = nil,
        settleTime: Duration = .milliseconds(100)
    ) -> HotFolderSettings {
        HotFolderSettings(
            path: hot, port: "Finance", owner: owner, options: PrintOptions(copies: 2, duplex: .longEdge),
            failedDirectory: failed ?? self.failed, settleTime: settleTime)
    }

    func start(_ settings: HotFolderSettings) {
        let service = HotFolderService(folders: [settings], outbox: outbox, logger: logs.logger)
        self.service = Task { try await service.run() }
        let recorder = folderStates
        stateReader = Task {
            for await states in service.folderStates { recorder.append(states) }
        }
    }

    /// The hot folder's states as published so far, oldest first.
    var hotStates: [HotFolderState] {
        folderStates.values.compactMap { $0[hot] }
    }

    /// Cancels the service and waits for `run()` to return.
    func stop() async throws {
        service?.cancel()
        try await service?.value
        service = nil
        await stateReader?.value  // the stream finishes when the service returns
        stateReader = nil
    }

    /// Waits for the first published folder states: the start-up scan is done and the watches are live.
    func waitUntilStarted() async throws {
        try await wait(for: "the service to start watching") { !self.hotStates.isEmpty }
    }

    /// Drops a probe file where a job is expected and waits for its job: from then on the watch is live.
    func waitUntilWatching(probeDirectory: String? = nil) async throws {
        let directory = probeDirectory ?? hot
        try writeFile(directory + "/ready-probe.txt", "probe")
        try await wait(for: "the probe file to become a job") {
            try self.outbox.jobs(states: [.queued], limit: 10_000).contains { $0.request.title == "ready-probe.txt" }
        }
    }

    /// Jobs other than the readiness probe, once accepted: a claim commits `receiving` rows first and marks them
    /// queued after the files are in the spool.
    func jobs() throws -> [Job] {
        try outbox.jobs(states: nil, limit: 10_000).filter { $0.request.title != "ready-probe.txt" && $0.state != .receiving }
    }

    func contents(of directory: String) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    }
}

struct HotFolderFixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension HotFolderFixture {
    /// Polls `condition` every 10 ms until it holds; fails the test (and throws) when `timeout` passes first.
    func wait(
        for what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
        throw HotFolderFixtureError("timed out waiting for \(what)")
    }

    /// Writes with open/write/close, the way a client delivers a file (one IN_CLOSE_WRITE per call).
    func writeFile(_ path: String, _ text: String, append: Bool = false) throws {
        try writeFile(path, bytes: Array(text.utf8), append: append)
    }

    func writeFile(_ path: String, bytes: [UInt8], append: Bool = false) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o644)
        guard descriptor >= 0 else { throw HotFolderFixtureError("open \(path): errno \(errno)") }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw HotFolderFixtureError("write \(path): errno \(errno)") }
            offset += written
        }
    }

    func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Values collected from another task, for tests to wait on.
final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Value] = []

    var values: [Value] { lock.withLock { recorded } }

    func append(_ value: Value) {
        lock.withLock { recorded.append(value) }
    }
}

/// A writer that keeps its file open between writes, like a slow network client or a program writing in place.
final class OpenWriter: @unchecked Sendable {
    let path: String
    private let descriptor: Int32
    private(set) var size = 0
    private var isClosed = false

    init(_ path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw HotFolderFixtureError("open \(path): errno \(errno)") }
    }

    /// Appends `count` bytes of `byte`, without closing.
    func append(_ count: Int, of byte: UInt8 = UInt8(ascii: "x")) throws {
        let bytes = [UInt8](repeating: byte, count: count)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == count else { throw HotFolderFixtureError("write \(path): errno \(errno)") }
        size += count
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(descriptor)
    }

    deinit { close() }
}

/// Collects log messages so tests can wait for one and count them.
final class HotFolderLogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []

    var logger: Logger {
        Logger(label: "ingest-test") { _ in Handler(logs: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        lock.withLock { entries.filter { $0.level == level }.map(\.message) }
    }

    /// Every message with its metadata, one line each.
    var allLines: [String] {
        lock.withLock { entries.map { "\($0.level) \($0.message) \($0.metadata)" } }
    }

    fileprivate func append(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        lock.withLock { entries.append((level, message, metadata)) }
    }

    private struct Handler: LogHandler {
        let logs: HotFolderLogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            logs.append(event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}
