/// How long a hot-folder entry (anything but a directory) waits before it is taken, by how it came to our
/// attention. Pure: the engine passes what inotify and `lstat` said and acts on the answer.
///
/// The rule: a file is taken once its writer has closed it and it then stayed unchanged (size, mtime, identity)
/// for the folder's settle time. A regular file created in the folder is therefore waited on until its close. A
/// file found by a scan (at start, after an inotify queue overflow, when a folder comes back) may still be open
/// for writing, and we cannot cheaply tell: it is treated as possibly being written, i.e. it must stay unchanged for
/// the full settle time, and the first write seen to it proves a writer holds it open, so from then on its close is
/// awaited like any other file's. Only a file published whole (renamed or hard-linked in) is taken at once.
struct SettleRule: Sendable, Hashable {
    /// The folder's `settle_ms`, in nanoseconds.
    var settle: UInt64

    /// A file renamed or linked in was published whole: it is taken at once (a burst of them still waits
    /// once for the claim's coalescing window). This was a 50 ms look, a leftover of the time it also
    /// coalesced bursts; a writer that goes on writing after publishing is not caught by a short look
    /// either, and the upload notices a size that moved around its reads and tries again.
    var published: UInt64 { 0 }

    /// How an entry came to our attention.
    enum Trigger: Sendable, Hashable {
        /// `IN_CLOSE_WRITE`: a writer closed it.
        case closedAfterWriting
        /// `IN_MODIFY`: a writer is at work on it, through a descriptor it will close.
        case modified
        /// `IN_MOVED_TO`: renamed into the folder, which publishes a finished file at once.
        case movedIn
        /// `IN_CREATE`: a new entry; a regular file is probably still being written.
        case created
        /// Found by listing the folder: whether a writer still holds it open is unknown.
        case scanned
    }

    enum Action: Sendable, Hashable {
        /// Start (or restart) its wait: taken once unchanged for this long.
        case wait(nanoseconds: UInt64)
        /// Its close will announce it: stop waiting on it, if we were.
        case awaitClose
        /// Nothing to change.
        case leaveAsIs
    }

    /// - Parameters:
    ///   - linkCount: the entry's hard-link count; a new name for an existing file (2 or more) is complete already.
    ///   - isPending: whether the entry is already waiting to settle.
    func action(for trigger: Trigger, kind: FileStatus.Kind, linkCount: UInt64, isPending: Bool) -> Action {
        switch trigger {
        case .closedAfterWriting, .scanned:
            return .wait(nanoseconds: settle)
        case .modified:
            // A write means an open descriptor, whose close (at the writer's exit at the latest) will announce the
            // file. Ignored for a file not waiting: that one's close is awaited already.
            return isPending ? .awaitClose : .leaveAsIs
        case .movedIn:
            return .wait(nanoseconds: published)
        case .created:
            // A new regular file's close will announce it. Already waiting under that name, it is a file we renamed
            // ourselves (its writer's events are lost with the old name) or one replaced, whose writes will be seen:
            // either way its wait goes on.
            if kind == .regular && linkCount < 2 { return .leaveAsIs }
            // Links, FIFOs and hard links never close-write: their creation is all there is.
            return .wait(nanoseconds: published)
        }
    }
}
