import Dispatch

/// Files seen but not yet taken, each waiting until its size and mtime have stayed the same for its settle time
/// (SMB clients close a file more than once while writing it). Pure bookkeeping: time and `lstat` come from outside.
struct SettleTracker<Place: Sendable & Hashable>: Sendable {
    struct Entry: Sendable {
        /// Which watched directory the file is in.
        var place: Place
        var stamp: FileStatus.Stamp
        var dueAt: DispatchTime
        /// The file's full settle time (its folder's): what it waits again once it was seen changing.
        var settle: UInt64
    }

    private(set) var entries: [String: Entry] = [:]
    /// Paths in due order (insertion keeps it sorted: windows may differ in length); entries pushed back by new
    /// activity leave stale items behind, skipped when they reach the front.
    private var order: [(path: String, dueAt: DispatchTime)] = []
    private var orderStart = 0

    init() {}

    var isEmpty: Bool { entries.isEmpty }

    func isPending(_ path: String) -> Bool { entries[path] != nil }

    /// The earliest time something may have settled; nil when nothing is pending (no timer needed).
    var nextDeadline: DispatchTime? {
        entries.isEmpty ? nil : order[orderStart...].first { entries[$0.path]?.dueAt == $0.dueAt }?.dueAt
    }

    /// When to take what has settled: at the earliest deadline when that file is alone, or `window` later when
    /// another file is due within `window` after it, so a burst is claimed in one batch (one transaction) while a
    /// lone file is taken at once. Asked again when the timer fires, it returns a time already passed for a
    /// burst, so a claim is put off at most once by `window`.
    func claimTime(coalescing window: UInt64) -> DispatchTime? {
        var first: DispatchTime?
        for item in order[orderStart...] where entries[item.path]?.dueAt == item.dueAt {
            guard let earliest = first else {
                first = item.dueAt
                continue
            }
            let extended = DispatchTime(uptimeNanoseconds: earliest.uptimeNanoseconds + window)
            return item.dueAt <= extended ? extended : earliest
        }
        return first
    }

    /// Something happened to `path` (written, moved in, found by a scan): its wait starts again, `settle` long
    /// unless `window` asks for a shorter first look (a file published whole).
    mutating func noteActivity(
        path: String, place: Place, stamp: FileStatus.Stamp, now: DispatchTime, settle: UInt64, window: UInt64? = nil
    ) {
        let dueAt = DispatchTime(uptimeNanoseconds: now.uptimeNanoseconds + (window ?? settle))
        entries[path] = Entry(place: place, stamp: stamp, dueAt: dueAt, settle: settle)
        // Usually the latest deadline: append. Otherwise find its place (binary search).
        guard let last = order.last, last.dueAt > dueAt else {
            order.append((path, dueAt))
            return
        }
        var low = orderStart
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            if order[middle].dueAt <= dueAt { low = middle + 1 } else { high = middle }
        }
        order.insert((path, dueAt), at: low)
    }

    mutating func forget(path: String) {
        entries[path] = nil
    }

    /// Takes the files whose window has passed and whose `stamp` (from `status`, nil when gone) is still the one
    /// recorded. Changed files wait their full settle time again; vanished ones are dropped.
    mutating func takeSettled(
        now: DispatchTime, status: (String) -> FileStatus.Stamp?
    ) -> [(path: String, place: Place)] {
        var settled: [(path: String, place: Place)] = []
        var changed: [(path: String, entry: Entry, stamp: FileStatus.Stamp)] = []
        while orderStart < order.count, order[orderStart].dueAt <= now {
            let (path, dueAt) = order[orderStart]
            orderStart += 1
            guard let entry = entries[path], entry.dueAt == dueAt else { continue }  // stale
            entries[path] = nil
            switch status(path) {
            case nil: break
            case entry.stamp?: settled.append((path, entry.place))
            case let stamp?: changed.append((path, entry, stamp))
            }
        }
        for file in changed {
            noteActivity(path: file.path, place: file.entry.place, stamp: file.stamp, now: now, settle: file.entry.settle)
        }
        compact()
        return settled
    }

    /// Drops the consumed front of `order` once it dominates, so a long-running daemon does not grow it forever.
    private mutating func compact() {
        if entries.isEmpty {
            order.removeAll(keepingCapacity: order.count < 4096)
            orderStart = 0
        } else if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
