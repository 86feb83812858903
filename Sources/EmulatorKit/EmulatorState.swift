import Foundation
import NIOCore

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
}

/// Everything the event loops share, behind one lock. Critical sections are a few
/// dictionary or array operations, so one lock is no bottleneck at the request rates the
/// benchmarks reach.
final class EmulatorState: @unchecked Sendable {
    private let lock = NSLock()
    private var documents: [ReceivedDocument] = []
    private var documentUUIDs: Set<String> = []
    private var records: [ReceivedRecord] = []
    private var releases: [ReceivedRelease] = []
    private var cardSwipes: [ReceivedCardSwipe] = []
    private var requestsByPath: [String: Int] = [:]
    private var requests = 0
    private var rejected = 0
    /// FIFO of injected faults per target, with how many more requests each applies to.
    private var faults: [FaultTarget: [(fault: Fault, remaining: Int)]] = [:]
    /// Connections a `hang` fault holds, closed when the faults are cleared.
    private var heldConnections: [ObjectIdentifier: any Channel] = [:]
    private var shuttingDown = false

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func countRequest(path: String) {
        locked {
            requests += 1
            requestsByPath[path, default: 0] += 1
        }
    }

    func countRejection() {
        locked { rejected += 1 }
    }

    func record(_ document: ReceivedDocument) {
        locked {
            documents.append(document)
            documentUUIDs.insert(document.uuid)
        }
    }

    func hasDocument(uuid: String) -> Bool {
        locked { documentUUIDs.contains(uuid) }
    }

    func record(_ record: ReceivedRecord) {
        locked { records.append(record) }
    }

    func record(_ release: ReceivedRelease) {
        locked { releases.append(release) }
    }

    func record(_ swipe: ReceivedCardSwipe) {
        locked { cardSwipes.append(swipe) }
    }

    func allRecords() -> [ReceivedRecord] {
        locked { records }
    }

    func allReleases() -> [ReceivedRelease] {
        locked { releases }
    }

    func allCardSwipes() -> [ReceivedCardSwipe] {
        locked { cardSwipes }
    }

    func allDocuments() -> [ReceivedDocument] {
        locked { documents }
    }

    func documentCount() -> Int {
        locked { documents.count }
    }

    func requestCount(pathPrefix: String) -> Int {
        locked {
            requestsByPath.reduce(0) { total, entry in
                entry.key.hasPrefix(pathPrefix) ? total + entry.value : total
            }
        }
    }

    func stats() -> EmulatorStats {
        locked {
            EmulatorStats(documents: documents.count, requests: requests, rejected: rejected, held: heldConnections.count)
        }
    }

    func inject(_ fault: Fault, count: Int, target: FaultTarget = .uploads) {
        guard count > 0 else { return }
        locked { faults[target, default: []].append((fault, count)) }
    }

    /// The fault for the `target` request arriving now, if any is queued.
    func takeFault(for target: FaultTarget) -> Fault? {
        locked {
            guard var queue = faults[target], !queue.isEmpty else { return nil }
            let fault = queue[0].fault
            queue[0].remaining -= 1
            if queue[0].remaining == 0 { queue.removeFirst() }
            faults[target] = queue
            return fault
        }
    }

    /// Keeps `channel` open and unanswered until the faults are cleared.
    func hold(_ channel: any Channel) {
        locked {
            rejected += 1
            heldConnections[ObjectIdentifier(channel)] = channel
        }
    }

    /// The connection closed (the client gave up, or the faults were cleared).
    func forget(_ channel: any Channel) {
        _ = locked { heldConnections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Drops the queued faults and closes the held connections.
    func clearFaults() {
        let held = locked {
            faults = [:]
            defer { heldConnections = [:] }
            return Array(heldConnections.values)
        }
        // Outside the lock: closing on the channel's own event loop runs its handlers at once.
        for channel in held { channel.close(promise: nil) }
    }

    /// True for the first caller only, so `shutdown()` may be called more than once.
    func beginShutdown() -> Bool {
        locked {
            defer { shuttingDown = true }
            return !shuttingDown
        }
    }

    func reset() {
        clearFaults()
        locked {
            documents = []
            documentUUIDs = []
            records = []
            releases = []
            cardSwipes = []
            requestsByPath = [:]
            requests = 0
            rejected = 0
        }
    }
}
