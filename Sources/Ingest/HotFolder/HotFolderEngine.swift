import Dispatch
import Glibc
import Logging
import Outbox
import SpoolbridgeCore

/// The hot-folder machinery: watches, pending files, timers. Everything mutable lives on `queue` (serial), where
/// inotify events, timers and the outbox's blocking calls (SQLite, fsync) run: nothing here blocks Swift's
/// cooperative pool. This file covers watching; `HotFolderEngine+Presence.swift` covers folders that go away and come
/// back, `HotFolderEngine+Claiming.swift` what happens to settled files.
final class HotFolderEngine: @unchecked Sendable {
    let folders: [HotFolderSettings]
    let outbox: Outbox
    let logger: Logger
    let queue = DispatchQueue(label: "spoolbridge.hotfolder")
    /// After the first file settles, wait this much longer so that files of one burst are claimed together.
    let coalesceNanoseconds: UInt64
    /// Each folder's settle rule, by folder index.
    let settleRules: [SettleRule]
    /// Told every change of `presence`, on `queue`.
    let publishFolderStates: @Sendable ([String: HotFolderState]) -> Void

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
    var presence: FolderPresence
    /// Armed only while a folder is missing: looks for it at its path.
    var recheckTimer: DispatchSourceTimer?

    enum Blockage: Sendable, Hashable {
        case lowSpace
        case claimFailed(String)
    }

    init(
        folders: [HotFolderSettings], outbox: Outbox, logger: Logger,
        publishFolderStates: @escaping @Sendable ([String: HotFolderState]) -> Void = { _ in }
    ) {
        self.folders = folders.map { folder in
            var folder = folder
            folder.path = folder.path.withoutTrailingSlashes
            return folder
        }
        self.outbox = outbox
        self.logger = logger
        self.publishFolderStates = publishFolderStates
        self.tracker = SettleTracker()
        self.presence = FolderPresence(folderCount: folders.count)
        let rules = folders.map { SettleRule(settle: Self.nanoseconds($0.settleTime)) }
        self.settleRules = rules
        // A tenth of the shortest settle time: bursts coalesce without the wait becoming noticeable.
        self.coalesceNanoseconds = min((rules.map(\.settle).min() ?? 0) / 10, 20_000_000)
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
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
                self.recheckTimer?.cancel()
                self.settleTimer = nil
                self.retryTimer = nil
                self.recheckTimer = nil
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
                "settle-ms": "\(settleRules[index].settle / 1_000_000)",
            ])
        }
        watcher.start()
        armSettleTimer()
        publishStates()
    }

    /// Documents land in failed/archive directories, so a new one is private to spoolbridge's user; an existing one
    /// keeps the permissions its admin gave it.
    func prepareDirectory(_ path: String, role: String) throws {
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
                // The kernel dropped the watch without a word of why (DELETE_SELF and MOVE_SELF drop ours first).
                places[event.watch] = nil
                if place.subfolder == nil { folderVanished(place.folder) }
            } else if event.has(IN_MOVE_SELF) && isStillWatched(place, watch: event.watch) {
                continue  // renamed away and back already, or a subfolder re-registered under its new name
            } else if event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) || event.has(IN_UNMOUNT) {
                placeVanished(watch: event.watch, place)
            } else if !event.name.isEmpty {
                handleEntry(event.name, in: place, trigger: Self.trigger(of: event))
            }
        }
        if overflowed {
            // The kernel dropped events: only a full look can tell what arrived meanwhile, or which folder went.
            logger.warning("inotify event queue overflowed; rescanning every hot folder")
            rescanAfterOverflow()
        }
        armSettleTimer()
    }

    private static func trigger(of event: InotifyEvent) -> SettleRule.Trigger {
        if event.has(IN_CREATE) { return .created }
        if event.has(IN_MOVED_TO) { return .movedIn }
        if event.has(IN_MODIFY) { return .modified }
        return .closedAfterWriting
    }

    /// Whether the directory behind `watch` is (again) at the path we know it by. inotify hands out one watch per
    /// directory, so adding a watch for the path returns the same descriptor exactly when it is the same directory.
    func isStillWatched(_ place: WatchedPlace, watch: Int32) -> Bool {
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
            folderVanished(place.folder)
        } else {
            logger.info("user subfolder went away; no longer watching it", metadata: ["folder": "\(place.path)"])
        }
    }

    /// Lists a watched directory and settles every entry as found by a scan; descends into user subfolders.
    func scan(_ place: WatchedPlace) {
        switch DirectoryListing.names(in: place.path) {
        case .success(let names):
            for name in names { handleEntry(name, in: place, trigger: .scanned) }
        case .failure(let error) where place.subfolder == nil && [ENOENT, ENOTDIR].contains(error.code):
            // Gone between its event and this look, or its events were lost in an overflow.
            loseFolder(place.folder)
        case .failure(let error):
            logger.error("cannot list hot folder: \(error.text)", metadata: ["folder": "\(place.path)"])
        }
    }

    private func handleEntry(_ rawName: [UInt8], in place: WatchedPlace, trigger: SettleRule.Trigger) {
        if HotFolderNameRule.isIgnored(rawName) { return }
        guard let name = EntryName.decode(rawName) else {
            // A write to such a file changes nothing: it was renamed when it was first seen, or will be on its close.
            if trigger == .modified { return }
            // Paths are Strings from here on (outbox, titles, logs): give the file a name that survives that.
            switch EntryName.renameToValidUTF8(rawName, in: place.path) {
            case .success(let newName):
                logger.notice("renamed a file whose name is not valid UTF-8", metadata: [
                    "file": "\(place.child(newName))", "folder": "\(place.path)"])
                // A writer's descriptor still refers to the old, now unlinked, name, whose events IN_EXCL_UNLINK
                // drops: the file's close will never be seen, so it settles like one found by a scan.
                handleEntry(Array(newName.utf8), in: place, trigger: .scanned)
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
        let isPending = tracker.isPending(path)
        // Most writes are to files still waiting for their close: no lstat for those.
        if trigger == .modified && !isPending { return }
        guard case .success(let status) = FileStatus.of(path: path) else { return }
        if status.kind == .directory {
            if trigger != .modified, place.subfolder == nil, folders[place.folder].owner == .subfolder,
                !excludedDirectories.contains(DirectoryIdentity(status))
            {
                watchSubfolder(name, of: place)
            }
            return
        }
        let rule = settleRules[place.folder]
        switch rule.action(for: trigger, kind: status.kind, linkCount: status.linkCount, isPending: isPending) {
        case .wait(let window):
            tracker.noteActivity(
                path: path, place: place, stamp: status.stamp, now: .now(), settle: rule.settle, window: window)
        case .awaitClose:
            tracker.forget(path: path)
        case .leaveAsIs:
            break
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
        guard !isBlocked, !isStopped, let fireAt = tracker.claimTime(coalescing: coalesceNanoseconds) else { return }
        if let armedDeadline, armedDeadline <= fireAt { return }
        let timer = settleTimer ?? makeSettleTimer()
        // A small leeway: this timer runs only while files wait, and its lateness is every file's.
        timer.schedule(deadline: fireAt, leeway: .milliseconds(1))
        armedDeadline = fireAt
    }

    private func makeSettleTimer() -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in
            guard let self, !self.isStopped else { return }
            self.armedDeadline = nil
            // Armed for a lone file, and others arrived since: wait once for the burst to gather.
            if let later = self.tracker.claimTime(coalescing: self.coalesceNanoseconds), later > .now() {
                self.armSettleTimer()
                return
            }
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
