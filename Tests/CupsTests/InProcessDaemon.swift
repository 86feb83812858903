import Foundation
import Ingest
import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore
import Testing

/// The daemon's CUPS side in this process: a real outbox in a temp directory and the real
/// `BackendSocketService`, run in a `ServiceGroup` and stopped by graceful shutdown.
final class InProcessDaemon: @unchecked Sendable {
    let outbox: Outbox
    let socketPath: String
    let logs = RecordingLogs()
    private let service: BackendSocketService
    private let lock = NSLock()
    private var group: ServiceGroup?
    private var task: Task<Void, Error>?
    private var failure: (any Error)?

    init(
        spoolDirectory: String, socketPath: String, maxDocumentBytes: Int64 = 200 << 20,
        userMapping: UserNameMapping = UserNameMapping(stripDomain: true, stripRealm: true, lowercase: true),
        drainTime: Duration = .seconds(5)
    ) throws {
        outbox = try Outbox(directory: spoolDirectory, maxDocumentBytes: maxDocumentBytes, minFreeBytes: 1 << 20)
        self.socketPath = socketPath
        service = BackendSocketService(
            socketPath: socketPath, outbox: outbox, userMapping: userMapping, logger: logs.logger, drainTime: drainTime)
    }

    func start() async throws {
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: logs.logger)
        lock.withLock {
            self.group = group
            failure = nil
            task = Task {
                do {
                    try await group.run()
                } catch {
                    self.lock.withLock { self.failure = error }
                    throw error
                }
            }
        }
        // Ready once this service says so (another daemon's socket may already be there);
        // a service that failed to start throws its error here.
        try await eventually("the daemon listens on \(socketPath)") {
            if let failure = lock.withLock({ self.failure }) { throw failure }
            return logs.messages.contains { $0.contains("listening for the CUPS backend") }
        }
    }

    func stop() async throws {
        let (group, task) = lock.withLock { (self.group, self.task) }
        await group?.triggerGracefulShutdown()
        try await task?.value
        lock.withLock {
            self.group = nil
            self.task = nil
        }
    }

    /// Files left in the staging area: must be empty whenever no transfer is running.
    var stagingFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: outbox.layout.incoming)) ?? []
    }

    func allJobs() throws -> [Job] { try outbox.jobs() }

    func payload(of job: Job) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: outbox.payloadPath(of: job))))
    }
}

/// Keeps log lines in memory so tests can assert what the admin would read.
final class RecordingLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        Logger(label: "cups-tests") { _ in Handler(sink: self) }
    }

    var messages: [String] { lock.withLock { lines } }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let sink: RecordingLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.append("\(event.level): \(event.message)")
        }
    }
}
