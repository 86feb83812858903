import Foundation
import SpoolbridgeCore

/// Lets a thread wait for one job to change (delivered, failed, retried, cancelled) without polling
/// the database: `descriptor` becomes readable after each change. Used by the CUPS backend's
/// `?wait=` connections, which wait in poll(2) on their socket at the same time.
///
/// Watch first, then read the job: a change after the read still wakes the wait.
public final class JobWatch: Sendable {
    public let jobID: JobID
    private let pipe: WakePipe
    private let registry: JobWatchRegistry

    init(jobID: JobID, registry: JobWatchRegistry) throws(OutboxError) {
        self.jobID = jobID
        self.pipe = try WakePipe()
        self.registry = registry
        registry.add(pipe, for: jobID)
    }

    deinit { cancel() }

    /// Readable (POLLIN) once the job changed since the last `drain()`.
    public var descriptor: Int32 { pipe.descriptor }

    public func drain() { pipe.drain() }

    /// Stops watching. The registry held the pipe until now, so no signal can reach a closed descriptor.
    public func cancel() { registry.remove(pipe, for: jobID) }
}

/// The outbox's open watches, by job.
final class JobWatchRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var pipes: [Int64: [ObjectIdentifier: WakePipe]] = [:]

    func add(_ pipe: WakePipe, for id: JobID) {
        lock.withLock { pipes[id.rawValue, default: [:]][ObjectIdentifier(pipe)] = pipe }
    }

    func remove(_ pipe: WakePipe, for id: JobID) {
        lock.withLock {
            pipes[id.rawValue]?[ObjectIdentifier(pipe)] = nil
            if pipes[id.rawValue]?.isEmpty == true { pipes[id.rawValue] = nil }
        }
    }

    /// Called after a change to these jobs is committed.
    func notify(_ ids: some Sequence<JobID>) {
        lock.withLock {
            guard !pipes.isEmpty else { return }
            for id in ids {
                guard let watching = pipes[id.rawValue] else { continue }
                for pipe in watching.values { pipe.signal() }
            }
        }
    }
}

extension Outbox {
    /// Starts watching job `id` for changes; `cancel()` it (or let it go) when done.
    public func watch(_ id: JobID) throws(OutboxError) -> JobWatch {
        try JobWatch(jobID: id, registry: jobWatches)
    }
}
