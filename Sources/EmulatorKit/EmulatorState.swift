import Foundation
import NIOCore
import Synchronization

/// Counters reported by `GET /_emulator/stats`.
public struct EmulatorStats: Sendable, Codable, Hashable {
    /// Accepted uploads.
    public var documents: Int
    /// Cloud API requests seen (control endpoints excluded).
    public var requests: Int
    /// Requests answered with a status ≥ 400, dropped or held by a fault.
    public var rejected: Int
    /// Connections a `hang` fault holds open, silent, right now.
    public var held: Int
    /// When the first and the last accepted upload since start or reset was wholly received
    /// (microseconds since 1970, the clock of bash's `EPOCHREALTIME`): benchmarks time a transfer to
    /// the moment the server had it, whatever the interval at which they ask.
    public var firstDocumentAtMicroseconds: Int64?
    public var lastDocumentAtMicroseconds: Int64?
}

/// Everything the event loops share, behind one mutex. Critical sections are a few
/// dictionary or array operations, so one lock is no bottleneck at the request rates the
/// benchmarks reach.
final class EmulatorState: Sendable {
    private struct State {
        var documents: [ReceivedDocument] = []
        var documentUUIDs: Set<String> = []
        var records: [ReceivedRecord] = []
        var releases: [ReceivedRelease] = []
        var cardSwipes: [ReceivedCardSwipe] = []
        var requestsByPath: [String: Int] = [:]
        var requests = 0
        var rejected = 0
        /// FIFO of injected faults per target, with how many more requests each applies to.
        var faults: [FaultTarget: [(fault: Fault, remaining: Int)]] = [:]
        /// Connections a `hang` fault holds, closed when the faults are cleared.
        var heldConnections: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    func countRequest(path: String) {
        state.withLock { state in
            state.requests += 1
            state.requestsByPath[path, default: 0] += 1
        }
    }

    func countRejection() {
        state.withLock { $0.rejected += 1 }
    }

    func record(_ document: ReceivedDocument) {
        state.withLock { state in
            state.documents.append(document)
            state.documentUUIDs.insert(document.uuid)
        }
    }

    func hasDocument(uuid: String) -> Bool {
        state.withLock { $0.documentUUIDs.contains(uuid) }
    }

    func record(_ record: ReceivedRecord) {
        state.withLock { $0.records.append(record) }
    }

    func record(_ release: ReceivedRelease) {
        state.withLock { $0.releases.append(release) }
    }

    func record(_ swipe: ReceivedCardSwipe) {
        state.withLock { $0.cardSwipes.append(swipe) }
    }

    func allRecords() -> [ReceivedRecord] {
        state.withLock { $0.records }
    }

    func allReleases() -> [ReceivedRelease] {
        state.withLock { $0.releases }
    }

    func allCardSwipes() -> [ReceivedCardSwipe] {
        state.withLock { $0.cardSwipes }
    }

    func allDocuments() -> [ReceivedDocument] {
        state.withLock { $0.documents }
    }

    func documentCount() -> Int {
        state.withLock { $0.documents.count }
    }

    func requestCount(pathPrefix: String) -> Int {
        state.withLock { state in
            state.requestsByPath.reduce(0) { total, entry in
                entry.key.hasPrefix(pathPrefix) ? total + entry.value : total
            }
        }
    }

    func stats() -> EmulatorStats {
        state.withLock { state in
            // Earliest and latest, not first and last appended: uploads finishing on different event
            // loops may be appended a little out of order.
            let receipts = state.documents.lazy.map(\.receivedAt)
            return EmulatorStats(
                documents: state.documents.count, requests: state.requests, rejected: state.rejected,
                held: state.heldConnections.count,
                firstDocumentAtMicroseconds: receipts.min().map(Self.microseconds),
                lastDocumentAtMicroseconds: receipts.max().map(Self.microseconds))
        }
    }

    private static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    func inject(_ fault: Fault, count: Int, target: FaultTarget = .uploads) {
        guard count > 0 else { return }
        state.withLock { $0.faults[target, default: []].append((fault, count)) }
    }

    /// The fault for the `target` request arriving now, if any is queued.
    func takeFault(for target: FaultTarget) -> Fault? {
        state.withLock { state in
            guard var queue = state.faults[target], !queue.isEmpty else { return nil }
            let fault = queue[0].fault
            queue[0].remaining -= 1
            if queue[0].remaining == 0 { queue.removeFirst() }
            state.faults[target] = queue
            return fault
        }
    }

    /// Keeps `channel` open and unanswered until the faults are cleared.
    func hold(_ channel: any Channel) {
        state.withLock { state in
            state.rejected += 1
            state.heldConnections[ObjectIdentifier(channel)] = channel
        }
    }

    /// The connection closed (the client gave up, or the faults were cleared).
    func forget(_ channel: any Channel) {
        _ = state.withLock { $0.heldConnections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Drops the queued faults and closes the held connections.
    func clearFaults() {
        let held = state.withLock { state in
            state.faults = [:]
            defer { state.heldConnections = [:] }
            return Array(state.heldConnections.values)
        }
        // Outside the lock: closing on the channel's own event loop runs its handlers at once.
        for channel in held { channel.close(promise: nil) }
    }

    /// True for the first caller only, so `shutdown()` may be called more than once.
    func beginShutdown() -> Bool {
        state.withLock { state in
            defer { state.shuttingDown = true }
            return !state.shuttingDown
        }
    }

    func reset() {
        clearFaults()
        state.withLock { state in
            state.documents = []
            state.documentUUIDs = []
            state.records = []
            state.releases = []
            state.cardSwipes = []
            state.requestsByPath = [:]
            state.requests = 0
            state.rejected = 0
        }
    }
}
