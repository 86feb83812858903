import Foundation
import GRDB
import SpoolbridgeCore

extension Outbox {
    /// Claims settled hot-folder files as one batch, so a burst costs a few commits and directory
    /// flushes rather than some per file. The order is what makes `kill -9` safe at any instant:
    ///
    /// 1. commit one `receiving` row per file (payload name chosen);
    /// 2. move each file into `payloads/` (rename; copy + fsync + unlink across file systems);
    /// 3. flush `payloads/` and every source directory;
    /// 4. commit the rows as `queued` (and drop the rows of files that vanished).
    ///
    /// A crash before 1 leaves the file in the hot folder; between 1 and 4, recovery finds each
    /// `receiving` row's file in the spool or still in the hot folder and finishes the move.
    public func claimHotFolderFiles(_ files: [HotFolderFile]) throws(OutboxError) -> [HotFolderClaimOutcome] {
        guard !files.isEmpty else { return [] }
        let now = clock()
        // nil where the file vanished before its row was written.
        var records: [JobRecord?] = []
        records.reserveCapacity(files.count)
        // Space is reserved file by file, so a batch cannot overshoot `spool.min_free_mb`.
        let device = payloadDevice
        var reserved: Int64 = 0
        var noSpace: Set<String> = []
        for file in files {
            var info = stat()
            // Only regular files become jobs (the watcher checked too; this closes the gap).
            guard lstat(file.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                records.append(nil)
                continue
            }
            if device != UInt64(info.st_dev) {
                // Copied across file systems: the copy needs its size in the spool.
                guard hasFreeSpace(for: reserved + Int64(info.st_size)) else {
                    noSpace.insert(file.path)
                    records.append(nil)
                    continue
                }
                reserved += Int64(info.st_size)
            }
            records.append(JobRecord(
                newJobWith: file.request, source: .hotFolder(file.origin), state: .receiving,
                payloadName: Self.newPayloadName(for: file.request.title),
                payloadSize: Int64(info.st_size), now: now, task: file.task))
        }
        try write { db in
            for index in records.indices {
                try records[index]?.insertRow(db)
            }
        }

        var outcomes: [HotFolderClaimOutcome] = []
        var moved: [JobRecord] = []
        var abandoned: [Int64] = []
        var sourceDirectories = Set<String>()
        for (file, record) in zip(files, records) {
            guard let record, let id = record.id else {
                outcomes.append(noSpace.contains(file.path) ? .noSpace(path: file.path) : .vanished(path: file.path))
                continue
            }
            do {
                switch try Durability.move(file.path, to: layout.payload(record.payloadName)) {
                case .moved:
                    // The dropped file keeps its owner's mode through a rename. The spool is 0700 anyway;
                    // tightening fails (EPERM) for files the daemon does not own, which is harmless.
                    chmod(layout.payload(record.payloadName), 0o600)
                    moved.append(record)
                    sourceDirectories.insert(Durability.parentDirectory(of: file.path))
                    outcomes.append(.claimed(JobID(id), path: file.path))
                case .sourceMissing:
                    abandoned.append(id)
                    outcomes.append(.vanished(path: file.path))
                }
            } catch {
                abandoned.append(id)
                outcomes.append(.failed(path: file.path, reason: error.message))
            }
        }

        // The writer may never have flushed its data; the job is not accepted until it is on disk.
        try Durability.flushFiles(moved.map { layout.payload($0.payloadName) }, directory: layout.payloads)
        try Durability.fsyncDirectory(layout.payloads)
        for directory in sourceDirectories {
            try? Durability.fsyncDirectory(directory)  // the hot folder may be read-only for a flush: not fatal
        }
        try write { db in
            for var record in moved {
                let transition = try Self.transition(.payloadStored, record.job, now, retryPolicy)
                try record.save(transition.job, db)
                knownRows.remember(record)
            }
            if !abandoned.isEmpty {
                _ = try JobRecord.deleteAll(db, keys: abandoned)
            }
        }
        if !moved.isEmpty { newWork.signal() }
        return outcomes
    }

    static func newPayloadName(for title: String) -> String {
        // Random, not the job id: CUPS payloads are written before their row exists.
        // The title's extension is kept so an admin looking at the spool sees what each file is.
        var generator = BatchedSystemRandom()
        let random = String(generator.next(), radix: 16) + "-" + String(generator.next(), radix: 16)
        let name = Durability.lastComponent(of: title)
        guard let dot = name.lastIndex(of: "."), name.distance(from: dot, to: name.endIndex) <= 8 else { return random }
        let ext = name[name.index(after: dot)...].filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return ext.isEmpty ? random : random + "." + ext
    }

    /// Applies the state machine, turning an impossible transition into an outbox error.
    static func transition(
        _ event: JobLifecycle.Event, _ job: Job, _ now: Timestamp, _ policy: RetryPolicy
    ) throws(OutboxError) -> JobLifecycle.Transition {
        do {
            return try JobLifecycle.apply(event, to: job, at: now, policy: policy)
        } catch {
            throw OutboxError(.invalidState, error.description)
        }
    }
}
