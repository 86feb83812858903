import Dispatch
import Glibc
import Logging
import Outbox
import SpoolbridgeCore

/// The hot-folder machinery: watches, pending files, timers. Everything mutable lives on `queue` (serial), where
/// inotify events, timers and the outbox's blocking calls (SQLite, fsync) run: nothing here blocks Swift's
/// cooperative pool. This file covers watching; `HotFolderEngine+Claiming.swift` covers what happens to settled files.
final class HotFolderEngine: @unchecked Sendable {
    let folders: [HotFolderSettings]
    let outbox: Outbox
    let logger: Logger
    let queue = DispatchQueue(label: "spoolbridge.hotfolder")
    /// After the first file settles, wait this much longer so that files of one burst are claimed together.
    let coalesceNanoseconds: UInt64
    /// The settle window for files renamed into the folder.
    let movedInSettleNanoseconds: UInt64

    // Confined to `queue`.
    var watcher: InotifyWatcher?
    var places: [Int32: WatchedPlace] = [:]
    var tracker: SettleTracker<WatchedPlace>
    var settleTimer: DispatchSourceTimer?
    var armedDeadline: DispatchTime?
    /// The failed and archive directories: never mistaken for a user's subfolder.
    var excludedDirectories: Set<DirectoryIdentity> = []
    /// Claiming is paused (low space, outbox error) until the retry timer sees it can go on.
    var isBlocked = false
    var reportedBlockage: Blockage?
    var retryTimer: DispatchSourceTimer?
    var isStopped = false

    enum Blockage: Sendable, Hashable {
        case lowSpace
        case claimFailed(String)
    }

    /// How an entry came to our attention.
    enum Trigger {
        /// Written and closed, or found by a scan: worth settling.
        case completed
        /// Renamed into the folder: a rename publishes a finished file at once, so a brief settle suffices
        /// (the full one is for writers that close and reopen, as SMB clients do).
        case movedIn
        /// Just created: a regular file is probably still being written (its close-write will follow).
        case created
    }

    init(folders: [HotFolderSettings], outbox: Outbox, settleTime: Duration, logger: Logger) {
        self.folders = folders.map { folder in
            var folder = folder
            folder.path = folder.path.withoutTrailingSlashes
            return folder
        }
        self.outbox = outbox
        self.logger = logger
        let (seconds, attoseconds) = settleTime.components
        let settle = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.tracker = SettleTracker(settleNanoseconds: settle)
        self.coalesceNanoseconds = min(settle / 10, 20_000_000)
        self.movedInSettleNanoseconds = min(settle, 50_000_000)
    }

    /// Creates missing failed/archive directories, watches every folder, and queues what is already there.
    func start() async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            queue.async {
                do {
                    try self.begin()
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// Stops timers and closes the inotify descriptor. Files not yet claimed stay where they are.
    func stop() async {
        let watcher = await withCheckedContinuation { (done: CheckedContinuation<InotifyWatcher?, Never>) in
            queue.async {
                self.isStopped = true
                self.settleTimer?.cancel()
                self.retryTimer?.cancel()
                self.settleTimer = nil
                self.retryTimer = nil
                let watcher = self.watcher
                self.watcher = nil
                done.resume(returning: watcher)
            }
        }
        await watcher?.close()
    }

    private func begin() throws {
        for folder in folders {
            guard case .success(let status) = FileStatus.followingLinks(path: folder.path), status.kind == .directory
            else { throw HotFolderError.missingFolder(path: folder.path) }
            try prepareDirectory(folder.failedDirectory, role: "failed")
            if let archive = folder.archiveDirectory { try prepareDirectory(archive, role: "archive") }
        }
        // A refused file put back into a hot folder would be refused again, for ever.
        for folder in folders {
            if case .success(let status) = FileStatus.followingLinks(path: folder.path),
                excludedDirectories.contains(DirectoryIdentity(status))
            {
                throw HotFolderError.folderIsOwnTarget(path: folder.path)
            }
        }
        let watcher = try InotifyWatcher(queue: queue) { [weak self] events in self?.handle(events) }
        self.watcher = watcher
        for (index, folder) in folders.enumerated() {
            let root = WatchedPlace(folder: index, subfolder: nil, path: folder.path)
            places[try watcher.addWatch(path: folder.path, mask: root.watchMask)] = root
            scan(root)
            logger.info("watching hot folder", metadata: [
                "folder": "\(folder.path)", "port": "\(folder.port)", "owner": "\(folder.owner.configName)",
            ])
        }
        watcher.start()
        armSettleTimer()
    }

    /// Documents land in failed/archive directories, so a new one is private to spoolbridge's user; an existing one
    /// keeps the permissions its admin gave it.
    private func prepareDirectory(_ path: String, role: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw HotFolderError.cannotCreateDirectory(path: path, role: role, errno: errno)
        }
        if case .success(let status) = FileStatus.followingLinks(path: path), status.kind == .directory {
            excludedDirectories.insert(DirectoryIdentity(status))
        } else {
            throw HotFolderError.cannotCreateDirectory(path: path, role: role, errno: ENOTDIR)
        }
    }

    private func handle(_ events: [InotifyEvent]) {
        guard !isStopped else { return }
        var overflowed = false
        for event in events {
            if event.has(IN_Q_OVERFLOW) {
                overflowed = true
                continue
            }
            guard let place = places[event.watch] else { continue }
            if event.has(IN_IGNORED) {
                places[event.watch] = nil
            } else if event.has(IN_MOVE_SELF) && isStillWatched(place, watch: event.watch) {
                continue  // a subfolder renamed inside the hot folder: already re-registered under its new name
            } else if event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) || event.has(IN_UNMOUNT) {
                placeVanished(watch: event.watch, place)
            } else if !event.name.isEmpty {
                handleEntry(
                    event.name, in: place,
                    trigger: event.has(IN_CREATE) ? .created : event.has(IN_MOVED_TO) ? .movedIn : .completed)
            }
        }
        if overflowed {
            // The kernel dropped events: only a full look can tell what arrived meanwhile.
            logger.warning("inotify event queue overflowed; rescanning every hot folder")
            for place in Set(places.values) where place.subfolder == nil { scan(place) }
        }
        armSettleTimer()
    }

    /// Whether the directory behind `watch` is (again) at the path we know it by. inotify hands out one watch per
    /// directory, so adding a watch for the path returns the same descriptor exactly when it is the same directory.
    private func isStillWatched(_ place: WatchedPlace, watch: Int32) -> Bool {
        guard let watcher, let current = try? watcher.addWatch(path: place.path, mask: place.watchMask) else {
            return false
        }
        if current == watch { return true }
        if places[current] == nil { watcher.removeWatch(current) }  // some other directory: not ours to watch
        return false
    }

    private func placeVanished(watch: Int32, _ place: WatchedPlace) {
        places[watch] = nil
        // A moved directory would go on reporting under its old path: stop watching it.
        watcher?.removeWatch(watch)
        if place.subfolder == nil {
            logger.error("""
                hot folder was deleted, moved or unmounted; files dropped there are not picked up until it is back \
                and spoolbridge is restarted
                """, metadata: ["folder": "\(place.path)"])
        } else {
            logger.info("user subfolder went away; no longer watching it", metadata: ["folder": "\(place.path)"])
        }
    }

    /// Lists a watched directory and treats every entry as just completed; descends into user subfolders.
    private func scan(_ place: WatchedPlace) {
        switch DirectoryListing.names(in: place.path) {
        case .success(let names):
            for name in names { handleEntry(name, in: place, trigger: .completed) }
        case .failure(let error):
            logger.error("cannot list hot folder: \(error.text)", metadata: ["folder": "\(place.path)"])
        }
    }

    private func handleEntry(_ rawName: [UInt8], in place: WatchedPlace, trigger: Trigger) {
        if HotFolderNameRule.isIgnored(rawName) { return }
        guard let name = EntryName.decode(rawName) else {
            // Paths are Strings from here on (outbox, titles, logs): give the file a name that survives that.
            switch EntryName.renameToValidUTF8(rawName, in: place.path) {
            case .success(let newName):
                logger.notice("renamed a file whose name is not valid UTF-8", metadata: [
                    "file": "\(place.child(newName))", "folder": "\(place.path)"])
                handleEntry(Array(newName.utf8), in: place, trigger: .completed)
            case .failure(let error) where error.code == ENOENT:
                // Already renamed (the events that announced the old name arrive after the rename) or removed.
                break
            case .failure(let error):
                logger.error("cannot rename a file whose name is not valid UTF-8: \(error.text)", metadata: [
                    "file": "\(place.child(EntryName.repaired(rawName)))", "folder": "\(place.path)"])
            }
            return
        }
        let path = place.child(name)
        guard case .success(let status) = FileStatus.of(path: path) else { return }
        switch status.kind {
        case .directory:
            if place.subfolder == nil, folders[place.folder].owner == .subfolder,
                !excludedDirectories.contains(DirectoryIdentity(status))
            {
                watchSubfolder(name, of: place)
            }
            return
        case .regular where trigger == .created && status.linkCount < 2:
            return  // being written; IN_CLOSE_WRITE follows. A hard link (count ≥ 2) is complete already.
        default:
            // Renamed or hard-linked in (a created entry that gets here is a link): published whole.
            let window = trigger == .completed ? nil : movedInSettleNanoseconds
            tracker.noteActivity(path: path, place: place, stamp: status.stamp, now: .now(), window: window)
        }
    }

    private func watchSubfolder(_ name: String, of root: WatchedPlace) {
        let place = WatchedPlace(folder: root.folder, subfolder: name, path: root.child(name))
        guard let watcher else { return }
        do {
            let watch = try watcher.addWatch(path: place.path, mask: place.watchMask)
            if places.updateValue(place, forKey: watch) == nil {
                logger.info("watching user subfolder", metadata: ["folder": "\(place.path)"])
            }
        } catch {
            logger.error("\(error)", metadata: ["folder": "\(place.path)"])
            return
        }
        // Files may have arrived before the watch existed (a whole folder moved in, or a quick writer).
        scan(place)
    }

    func armSettleTimer() {
        guard !isBlocked, !isStopped, let deadline = tracker.nextDeadline else { return }
        let fireAt = DispatchTime(uptimeNanoseconds: deadline.uptimeNanoseconds + coalesceNanoseconds)
        if let armedDeadline, armedDeadline <= fireAt { return }
        let timer = settleTimer ?? makeSettleTimer()
        timer.schedule(deadline: fireAt, leeway: .milliseconds(10))
        armedDeadline = fireAt
    }

    private func makeSettleTimer() -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in
            guard let self, !self.isStopped else { return }
            self.armedDeadline = nil
            self.claimSettledFiles()
            self.armSettleTimer()
        }
        timer.activate()
        settleTimer = timer
        return timer
    }
}

extension HotFolderSettings.Owner {
    var configName: String {
        switch self {
        case .fixed(let user): "user \(user)"
        case .subfolder: "subfolder"
        case .fileOwner: "file-owner"
        }
    }
}
