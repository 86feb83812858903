import Dispatch
import Glibc
import Logging
import Outbox
import SpoolbridgeCore

/// Hot folders that go away and come back. spoolbridge follows the configured path, not the directory first found
/// there: when the watched directory is deleted, renamed away, replaced or unmounted, its watches are dropped (a
/// directory renamed elsewhere must not feed us any more) and the folder is missing until a directory is at the
/// path again; then it is watched and scanned, its files settling like any others. Runs on the engine's queue.
extension HotFolderEngine {
    /// While a folder is missing, how often to look for it. Watching its parent instead would miss a remount and
    /// a parent that is itself recreated, and could clash with a watch on the same directory as a hot folder.
    static let recheckInterval = DispatchTimeInterval.seconds(1)

    /// The folder's directory went away (an inotify event said so): missing, unless a directory is at its path
    /// again already (replaced by another, or renamed away and back).
    func folderVanished(_ folder: Int) {
        loseFolder(folder)
        attach(folder)
    }

    /// Stops watching the folder (its root and user subfolders) and reports it missing, once.
    func loseFolder(_ folder: Int) {
        for watch in places.filter({ $0.value.folder == folder }).keys {
            places[watch] = nil
            watcher?.removeWatch(watch)
        }
        if presence.markMissing(folder, at: Outbox.systemClock()) {
            let path = folders[folder].path
            logger.error("""
                hot folder \(path) is missing (deleted, moved away or unmounted); nothing is taken from it until a \
                directory is there again: recreate it (mkdir -p \(path)) and spoolbridge resumes by itself
                """, metadata: ["folder": "\(path)"])
            publishStates()
        }
        armRecheckTimer()
    }

    /// Watches the folder at its configured path if a directory is there now, and settles what it holds.
    /// Returns whether it is watched.
    @discardableResult
    func attach(_ folder: Int) -> Bool {
        guard let watcher, !isStopped else { return false }
        let settings = folders[folder]
        guard case .success(let status) = FileStatus.followingLinks(path: settings.path), status.kind == .directory
        else { return false }
        let root = WatchedPlace(folder: folder, subfolder: nil, path: settings.path)
        do {
            guard !excludedDirectories.contains(DirectoryIdentity(status)) else {
                // Its files would be refused into it again, for ever (the start-up check, once more).
                throw HotFolderError.folderIsOwnTarget(path: settings.path)
            }
            places[try watcher.addWatch(path: root.path, mask: root.watchMask)] = root
        } catch {
            if presence.noteAttachFailure(folder, reason: String(describing: error)) {
                logger.error("hot folder \(settings.path) is back but cannot be watched: \(error)", metadata: [
                    "folder": "\(settings.path)"])
            }
            return false
        }
        recreateOutputDirectories(of: settings)
        if presence.markWatching(folder) {
            logger.notice("hot folder \(settings.path) is back; watching it again", metadata: [
                "folder": "\(settings.path)"])
            publishStates()
        }
        scan(root)
        if presence.missingFolders.isEmpty {
            recheckTimer?.cancel()
            recheckTimer = nil
        }
        return true
    }

    /// After an `IN_Q_OVERFLOW`: events that said a folder went away may be among those lost, so each folder is
    /// checked to be the directory we watch before it is scanned; missing ones are looked for at once.
    func rescanAfterOverflow() {
        for folder in folders.indices {
            if presence.isMissing(folder) {
                attach(folder)
            } else if let (watch, root) = places.first(where: { $0.value.folder == folder && $0.value.subfolder == nil }),
                isStillWatched(root, watch: watch)
            {
                scan(root)
            } else {
                folderVanished(folder)
            }
        }
    }

    func publishStates() {
        publishFolderStates(presence.snapshot(paths: folders.map(\.path)))
    }

    /// A folder deleted with its parent may have taken its failed (and archive) directory along: refusals and
    /// deliveries need them back.
    private func recreateOutputDirectories(of settings: HotFolderSettings) {
        for (path, role) in [(settings.failedDirectory, "failed"), (settings.archiveDirectory, "archive")] {
            guard let path else { continue }
            do {
                try prepareDirectory(path, role: role)
            } catch {
                logger.error("\(error)", metadata: ["folder": "\(settings.path)"])
            }
        }
    }

    /// Armed only while a folder is missing; `attach` disarms it once none is.
    private func armRecheckTimer() {
        guard recheckTimer == nil, !isStopped else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in
            guard let self, !self.isStopped else { return }
            for folder in self.presence.missingFolders { self.attach(folder) }
            self.armSettleTimer()
        }
        timer.schedule(deadline: .now() + Self.recheckInterval, repeating: Self.recheckInterval, leeway: .milliseconds(100))
        timer.activate()
        recheckTimer = timer
    }
}
