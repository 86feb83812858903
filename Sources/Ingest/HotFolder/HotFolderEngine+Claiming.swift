import Dispatch
import Glibc
import Logging
import Outbox
import SpoolbridgeCore

/// What happens to files once settled: checked, refused into the failed folder, or claimed by the outbox in
/// batches. Runs on the engine's queue.
extension HotFolderEngine {
    /// Files per outbox call: large enough that a burst costs a handful of transactions, small enough that one
    /// transaction stays short.
    static let claimBatchSize = 500
    /// While claiming is paused, how often to look whether it can go on.
    static let retrySeconds = 5

    func claimSettledFiles() {
        guard !isBlocked else { return }
        // The status read to see a file settled is the one its intake is decided on: one `lstat` each.
        var statuses: [String: FileStatus] = [:]
        let settled = tracker.takeSettled(now: .now()) { path in
            guard case .success(let status) = FileStatus.of(path: path) else { return nil }
            statuses[path] = status
            return status.stamp
        }
        var claims: [(file: HotFolderFile, place: WatchedPlace)] = []
        var placeIsSafe: [WatchedPlace: Bool] = [:]
        // One look-up per owner and batch: with NSS over LDAP each can be a network round trip.
        var userNames: [uid_t: String?] = [:]
        let userName = { (uid: uid_t) -> String? in
            if let known = userNames[uid] { return known }
            let name = FileProbe.userName(of: uid)
            userNames[uid] = .some(name)
            return name
        }
        for (path, place) in settled {
            let safe = placeIsSafe[place] ?? place.isStillADirectory
            placeIsSafe[place] = safe
            guard safe else { continue }  // replaced by a link: its removal event stops the watch
            let settings = folders[place.folder]
            let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
            switch decide(path: path, name: name, place: place, status: statuses[path], userName: userName) {
            case .take where settings.intake == .records:
                takeRecordsFile(path, settings: settings)
            case .take(let username):
                let request = DocumentRequest(
                    username: username, portname: settings.port, title: name, options: settings.options)
                let origin = JobSource.HotFolderOrigin(
                    originalPath: path, failedDirectory: settings.failedDirectory,
                    archiveDirectory: settings.archiveDirectory)
                // A push queue's release is queued with the upload's delivery (Outbox.insertFollowUp).
                let task = settings.releaseTo.map { JobTask.upload(UploadFollowUp(releaseTo: $0)) } ?? .upload
                claims.append((HotFolderFile(path: path, request: request, origin: origin, task: task), place))
            case .refuse(let reason):
                refuse(path: path, place: place, reason: reason)
            case .vanished, .leave:
                break
            }
        }
        claim(claims)
    }

    private func decide(
        path: String, name: String, place: WatchedPlace, status: FileStatus?, userName: (uid_t) -> String?
    ) -> IntakeDecision {
        guard let status else { return .vanished }
        let openError = status.kind == .regular ? FileProbe.openError(path: path, expected: status) : nil
        let rule = IntakeRule(
            owner: folders[place.folder].owner, maxDocumentBytes: outbox.maxDocumentBytes, folderPath: place.path)
        return rule.decide(
            name: name, subfolder: place.subfolder, status: status, openError: openError,
            userName: userName)
    }

    private func claim(_ claims: [(file: HotFolderFile, place: WatchedPlace)]) {
        guard !claims.isEmpty else { return }
        guard outbox.hasFreeSpace() else {
            hold(claims[...])
            block(.lowSpace)
            return
        }
        var start = 0
        while start < claims.count {
            let batch = claims[start..<min(start + Self.claimBatchSize, claims.count)]
            let outcomes: [HotFolderClaimOutcome]
            logger.debug("claiming a batch of hot-folder files", metadata: ["files": "\(batch.count)"])
            do {
                outcomes = try outbox.claimHotFolderFiles(batch.map(\.file))
            } catch {
                hold(claims[start...])
                block(.claimFailed(error.message))
                return
            }
            record(outcomes, of: batch)
            // Files that did not fit stay in the folder; claiming pauses until space is back.
            let noSpace = Set(outcomes.compactMap { if case .noSpace(let path) = $0 { path } else { nil } })
            if !noSpace.isEmpty {
                let held = claims[start..<batch.endIndex].filter { noSpace.contains($0.file.path) } + claims[batch.endIndex...]
                hold(held[...])
                block(.lowSpace)
                return
            }
            start = batch.endIndex
        }
    }

    private func record(_ outcomes: [HotFolderClaimOutcome], of batch: ArraySlice<(file: HotFolderFile, place: WatchedPlace)>) {
        let places = Dictionary(batch.map { ($0.file.path, $0.place) }, uniquingKeysWith: { first, _ in first })
        for outcome in outcomes {
            switch outcome {
            case .claimed(let id, let path):
                if let place = places[path] {
                    IngestMetrics.ingested(source: "hotfolder", port: folders[place.folder].port)
                }
                logger.info("took file as a job", metadata: [
                    "file": "\(path)", LogField.jobID: "\(id)", "folder": "\(places[path].map { folders[$0.folder].path } ?? "")",
                    LogField.port: "\(places[path].map { folders[$0.folder].port } ?? "")",
                ])
            case .vanished(let path):
                logger.debug("file went away before it could be taken", metadata: ["file": "\(path)"])
            case .noSpace(let path):
                logger.debug("file left in the hot folder until the spool has space", metadata: ["file": "\(path)"])
            case .failed(let path, let reason):
                // The outbox leaves the file where it is (it could not be moved: permissions, I/O); the next
                // event for it or the next start tries again.
                logger.error("cannot take file: \(reason)", metadata: [
                    "file": "\(path)", "folder": "\(places[path].map { folders[$0.folder].path } ?? "")",
                ])
            }
        }
    }

    /// Moves a file that will never become a job into the failed folder with its reason.
    private func refuse(path: String, place: WatchedPlace, reason: String) {
        let settings = folders[place.folder]
        let metadata: Logger.Metadata = ["file": "\(path)", "folder": "\(settings.path)", "failed": "\(settings.failedDirectory)"]
        let placement: FailedPlacement
        do {
            placement = try outbox.placeInFailedFolder(fileAt: path, directory: settings.failedDirectory, reason: reason)
        } catch {
            // Left in place: a later event or restart tries again. Not retried here, so no loop of log lines.
            logger.error("refused file stays in the hot folder: \(reason); moving it to the failed folder failed: \(error)",
                         metadata: metadata)
            return
        }
        if let note = placement.note {
            logger.warning("refused file: \(reason); moved to \(placement.file), the reason is in \(note)", metadata: metadata)
        } else {
            logger.error("""
                refused file: \(reason); moved to \(placement.file), but its note could not be written: \
                \(placement.noteFailure ?? "unknown error")
                """, metadata: metadata)
        }
    }

    /// Keeps files in the hot folder and in the tracker, to be settled again once claiming can go on.
    private func hold(_ claims: ArraySlice<(file: HotFolderFile, place: WatchedPlace)>) {
        let now = DispatchTime.now()
        for (file, place) in claims {
            if case .success(let status) = FileStatus.of(path: file.path) {
                tracker.noteActivity(
                    path: file.path, place: place, stamp: status.stamp, now: now,
                    settle: settleRules[place.folder].settle)
            }
        }
    }

    /// Pauses claiming, logging only when the reason is new, and checks again every few seconds meanwhile.
    private func block(_ blockage: Blockage) {
        isBlocked = true
        if reportedBlockage != blockage {
            reportedBlockage = blockage
            switch blockage {
            case .lowSpace:
                logger.error(
                    "free space in the spool is below spool.min_free_mb; files stay in the hot folders until space is freed",
                    metadata: [
                        "spool": "\(outbox.layout.directory)", "min-free-mb": "\(IntakeRule.megabytes(outbox.minFreeBytes))",
                        "free-mb": "\(outbox.freeBytes().map { "\($0 >> 20)" } ?? "unknown")",
                        "retry-seconds": "\(Self.retrySeconds)", LogField.messageID: "\(LogMessageID.spoolFull)",
                    ])
            case .claimFailed(let error):
                logger.error("""
                    cannot take hot-folder files into the outbox: \(error); files stay in the hot folders and \
                    spoolbridge retries every \(Self.retrySeconds) s
                    """, metadata: ["spool": "\(outbox.layout.directory)"])
            }
        }
        guard retryTimer == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in self?.retryAfterBlockage() }
        let interval = DispatchTimeInterval.seconds(Self.retrySeconds)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
        timer.activate()
        retryTimer = timer
    }

    private func retryAfterBlockage() {
        guard !isStopped, isBlocked else { return }
        if reportedBlockage == .lowSpace && !outbox.hasFreeSpace() { return }
        isBlocked = false
        retryTimer?.cancel()
        retryTimer = nil
        claimSettledFiles()
        if !isBlocked, let blockage = reportedBlockage {
            var metadata: Logger.Metadata = ["spool": "\(outbox.layout.directory)"]
            if blockage == .lowSpace { metadata[LogField.messageID] = "\(LogMessageID.spoolRecovered)" }
            logger.notice("taking hot-folder files again", metadata: metadata)
            reportedBlockage = nil
        }
        armSettleTimer()
    }
}
