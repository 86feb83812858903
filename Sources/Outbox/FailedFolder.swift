import CFileSync
import Foundation
import SpoolbridgeCore

/// Puts a document an admin must look at into a folder, with `NAME.error.txt` beside it saying
/// what happened and what to do. Also used for archiving (no note).
enum FailedFolder {
    struct Note {
        var lines: [(String, String)]

        init(job: Job, reason: String) {
            var lines: [(String, String)] = [("job", job.id.description)]
            switch job.source {
            case .hotFolder(let origin): lines.append(("file", origin.originalPath))
            case .submitted(let origin): lines.append((origin.channel.rawValue, origin.detail))
            case .cups(let origin):
                lines.append(("cups job", "\(origin.printer)-\(origin.cupsJobID) (\(origin.jobUUID))"))
            }
            lines += [("title", job.request.title), ("user", job.request.username), ("port", job.request.portname),
                      ("reason", reason)]
            if let status = job.lastError?.httpStatus { lines.append(("http status", String(status))) }
            if let message = job.lastError?.message { lines.append(("server message", message)) }
            lines.append(("attempts", String(job.attempts)))
            lines.append(("what to do", "fix the cause, then run `spoolbridge retry \(job.id)` or drop the file into the hot folder again"))
            self.lines = lines
        }

        init(lines: [(String, String)]) {
            self.lines = lines
        }

        init(file: String, reason: String) {
            lines = [("file", file), ("reason", reason),
                     ("what to do", "fix the cause and drop the file into the hot folder again")]
        }

        func text(at date: Date) -> String {
            let stamp = ISO8601DateFormatter().string(from: date)
            return (lines + [("time", stamp)]).map { "\($0): \(Self.oneLine($1))" }.joined(separator: "\n") + "\n"
        }

        private static func oneLine(_ text: String) -> String {
            String(text.map { $0.isNewline ? " " : $0 })
        }
    }

    /// Moves `path` into `directory` under `name` (made unique), writes the note beside it, flushes
    /// the directory, and returns where the file and its note went. Throws only when the file could
    /// not be moved; a note that cannot be written is reported in the result, never hides the move.
    /// `flush: false` (archiving, no note) does not flush the directory: see `Outbox.disposePayloads`.
    @discardableResult
    static func place(
        fileAt path: String, named name: String, in directory: String, note: Note?, flush: Bool = true
    ) throws(OutboxError) -> FailedPlacement {
        try Durability.makeDirectory(directory, mode: 0o700)
        let destination = uniquePath(in: directory, for: safeName(name))
        switch try Durability.move(path, to: destination) {
        case .sourceMissing: throw OutboxError(.io, "\(path) vanished before it could be moved to \(directory)")
        case .moved: break
        }
        guard let note else {
            if flush { try Durability.fsyncDirectory(directory) }
            return FailedPlacement(file: destination, note: nil, noteFailure: nil)
        }
        let notePath = notePath(for: destination)
        do {
            try Durability.writeAtomically(note.text(at: Date()), to: notePath)
            return FailedPlacement(file: destination, note: notePath, noteFailure: nil)
        } catch {
            try? Durability.fsyncDirectory(directory)  // the move itself must still be durable
            return FailedPlacement(file: destination, note: nil, noteFailure: error.message)
        }
    }

    /// Archives `path` under `name` in `directory` (which must exist) with one atomic rename that
    /// refuses to replace anything; false when that could not be done (the name is taken, another file
    /// system, no renameat2 here): then `place` finds a free name the careful way. Archive folders
    /// hold no notes, so only the file's own name is checked.
    static func archiveQuickly(fileAt path: String, named name: String, in directory: String) -> Bool {
        cfilesync_rename_noreplace(path, directory + "/" + safeName(name)) == 0
    }

    /// Where the note of the document at `documentPath` is: `NAME.error.txt` beside it, shortened as
    /// `FileNameLimit` describes when that would be longer than a file name may be.
    static func notePath(for documentPath: String) -> String {
        let name = Durability.lastComponent(of: documentPath)
        return Durability.parentDirectory(of: documentPath) + "/" + FileNameLimit.fitting(name, suffix: ".error.txt")
    }

    /// A file name that cannot escape the folder or hide: no `/`, no NUL, no leading dot, at most 255 bytes.
    static func safeName(_ title: String) -> String {
        var name = String(title.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        if name.isEmpty { name = "document" }
        let (stem, ext) = splitExtension(name)
        return FileNameLimit.fitting(String(stem), suffix: String(ext))
    }

    /// `name`, or `stem-2.ext`, `stem-3.ext`… when taken (by a file or its note).
    static func uniquePath(in directory: String, for name: String) -> String {
        let candidate = directory + "/" + name
        if !isTaken(candidate) { return candidate }
        let (stem, ext) = splitExtension(name)
        var counter = 2
        while true {
            let path = directory + "/" + FileNameLimit.fitting(String(stem), suffix: "-\(counter)\(ext)")
            if !isTaken(path) { return path }
            counter += 1
        }
    }

    private static func isTaken(_ path: String) -> Bool {
        Durability.exists(path) || Durability.exists(notePath(for: path))
    }

    /// `("report", ".pdf")`; a name without a dot (or only a leading one) has no extension. An
    /// "extension" longer than 16 bytes is part of the name, so shortening keeps something readable.
    private static func splitExtension(_ name: String) -> (Substring, Substring) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex,
              name[dot...].utf8.count <= 16 else { return (name[...], "") }
        return (name[..<dot], name[dot...])
    }
}

/// Where a file put into a failed (or archive) folder went.
public struct FailedPlacement: Sendable, Hashable {
    /// The file's new path.
    public var file: String
    /// Its note (`NAME.error.txt`, shortened when needed); nil when there is none.
    public var note: String?
    /// Why the note could not be written, when it could not.
    public var noteFailure: String?
}

extension Outbox {
    /// Moves a file that will never become a job (a symlink, an empty file, …) into `directory`
    /// with `NAME.error.txt` beside it.
    @discardableResult
    public func placeInFailedFolder(fileAt path: String, directory: String, reason: String) throws(OutboxError) -> FailedPlacement {
        try FailedFolder.place(
            fileAt: path, named: Durability.lastComponent(of: path), in: directory,
            note: FailedFolder.Note(file: path, reason: reason))
    }

    /// Where a failed or cancelled job's file went, and its note if that is there; nil while the
    /// file is still in the spool (the move failed; the next start tries again).
    public func failedPlacement(of id: JobID) throws(OutboxError) -> FailedPlacement? {
        guard let file = try failedPath(of: id) else { return nil }
        let note = FailedFolder.notePath(for: file)
        return Durability.exists(note)
            ? FailedPlacement(file: file, note: note, noteFailure: nil)
            : FailedPlacement(file: file, note: nil, noteFailure: "\(note) is missing")
    }
}
