import Foundation
import SpoolbridgeCore

/// What became of a records drop-folder file.
public enum RecordsFileOutcome: Sendable, Hashable {
    /// Its valid lines are queued (or were, before a crash: `duplicates`); the file is gone. Invalid
    /// lines, if any, are in `rejectedLines` with the reasons in `note`.
    case taken(jobs: [JobID], duplicates: Int, rejected: Int, rejectedLines: String?, note: String?)
    /// Not a records file at all: moved to the failed folder whole, the reason beside it.
    case rejectedWhole(FailedPlacement, reason: String)
    /// Gone before it could be read.
    case vanished
}

extension Outbox {
    /// Takes a settled records file: every valid line becomes a `record` job in one transaction,
    /// invalid lines go to `failed/NAME.rejected.jsonl` with `failed/NAME.error.txt` naming each line
    /// and its reason, then the file is removed.
    ///
    /// Each job's key is the file's identity (device, inode, mtime, size) and the line number: a crash
    /// after the commit and before the removal reads the file again and queues nothing twice (the
    /// rejected lines are written again, under a `-2` name).
    public func takeRecordsFile(at path: String, failedDirectory: String) throws(OutboxError) -> RecordsFileOutcome {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return .vanished }
            throw .posix(errno, "open", path)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .posix(errno, "stat", path)
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.readAll(fd, size: Int(info.st_size), path: path)
            close(fd)
        } catch {
            close(fd)
            throw error
        }
        let name = Durability.lastComponent(of: path)
        switch RecordsFile.parse(bytes) {
        case .rejected(let reason):
            let placement = try FailedFolder.place(
                fileAt: path, named: name, in: failedDirectory,
                note: FailedFolder.Note(lines: [
                    ("file", path), ("reason", reason),
                    ("what to do", "write one JSON object per line in UTF-8 and drop the file into the records folder again"),
                ]))
            return .rejectedWhole(placement, reason: reason)
        case .parsed(let valid, let rejected):
            let identity = "\(info.st_dev):\(info.st_ino):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec):\(info.st_size)"
            let submissions = valid.map { line in
                RequestSubmission(task: .record(line.record), source: .submitted(.init(
                    channel: .recordsFile, detail: "\(path) line \(line.number)", key: "\(identity):\(line.number)")))
            }
            let results = try enqueue(submissions)
            var jobs: [JobID] = []
            var duplicates = 0
            for result in results {
                if case .created(let id) = result { jobs.append(id) } else { duplicates += 1 }
            }
            var rejectedPath: String?
            var notePath: String?
            if !rejected.isEmpty {
                (rejectedPath, notePath) = try writeRejectedLines(rejected, of: path, into: failedDirectory)
            }
            guard unlink(path) == 0 || errno == ENOENT else { throw .posix(errno, "remove", path) }
            try? Durability.fsyncDirectory(Durability.parentDirectory(of: path))  // the folder may be read-only for a flush
            return .taken(jobs: jobs, duplicates: duplicates, rejected: rejected.count, rejectedLines: rejectedPath, note: notePath)
        }
    }

    /// `NAME.rejected.jsonl` (the lines as they were, ready to fix and drop again) and `NAME.error.txt`.
    private func writeRejectedLines(
        _ rejected: [RecordsFile.RejectedLine], of path: String, into directory: String
    ) throws(OutboxError) -> (String, String) {
        try Durability.makeDirectory(directory, mode: 0o700)
        let base = FailedFolder.uniquePath(in: directory, for: FailedFolder.safeName(Durability.lastComponent(of: path)))
        let linesPath = Durability.parentDirectory(of: base) + "/"
            + FileNameLimit.fitting(Durability.lastComponent(of: base), suffix: ".rejected.jsonl")
        let notePath = FailedFolder.notePath(for: base)
        let text = rejected.map { String(decoding: $0.bytes, as: UTF8.self) + "\n" }.joined()
        try Durability.writeAtomically(text, to: linesPath)
        var lines: [(String, String)] = [("file", path), ("rejected lines", "\(rejected.count), kept in \(linesPath)")]
        for line in rejected { lines.append(("line \(line.number)", line.reason)) }
        lines.append(("what to do", "fix the lines in \(Durability.lastComponent(of: linesPath)) and drop it into the records folder again; the other lines are queued"))
        try Durability.writeAtomically(FailedFolder.Note(lines: lines).text(at: Date()), to: notePath)
        return (linesPath, notePath)
    }

    private static func readAll(_ fd: Int32, size: Int, path: String) throws(OutboxError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .posix(errno, "read", path)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }
}
