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
    /// the directory, and returns where the file went.
    @discardableResult
    static func place(fileAt path: String, named name: String, in directory: String, note: Note?) throws(OutboxError) -> String {
        try Durability.makeDirectory(directory, mode: 0o700)
        let destination = uniquePath(in: directory, for: safeName(name))
        switch try Durability.move(path, to: destination) {
        case .sourceMissing: throw OutboxError(.io, "\(path) vanished before it could be moved to \(directory)")
        case .moved: break
        }
        if let note {
            try Durability.writeAtomically(note.text(at: Date()), to: destination + ".error.txt")
        } else {
            try Durability.fsyncDirectory(directory)
        }
        return destination
    }

    /// A file name that cannot escape the folder or hide: no `/`, no NUL, no leading dot.
    static func safeName(_ title: String) -> String {
        var name = String(title.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        if name.isEmpty { name = "document" }
        return String(name.prefix(200))
    }

    /// `name`, or `stem-2.ext`, `stem-3.ext`… when taken (by a file or its note).
    static func uniquePath(in directory: String, for name: String) -> String {
        let candidate = directory + "/" + name
        if !Durability.exists(candidate) && !Durability.exists(candidate + ".error.txt") { return candidate }
        let stem: Substring
        let ext: Substring
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            stem = name[..<dot]
            ext = name[dot...]
        } else {
            stem = name[...]
            ext = ""
        }
        var counter = 2
        while true {
            let path = "\(directory)/\(stem)-\(counter)\(ext)"
            if !Durability.exists(path) && !Durability.exists(path + ".error.txt") { return path }
            counter += 1
        }
    }
}

extension Outbox {
    /// Moves a file that will never become a job (a symlink, an empty file, …) into `directory`
    /// with `NAME.error.txt` beside it.
    public func placeInFailedFolder(fileAt path: String, directory: String, reason: String) throws(OutboxError) {
        try FailedFolder.place(
            fileAt: path, named: Durability.lastComponent(of: path), in: directory,
            note: FailedFolder.Note(file: path, reason: reason))
    }
}
