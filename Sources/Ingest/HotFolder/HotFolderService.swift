import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Watches the configured hot folders and hands every complete document dropped there to the outbox.
///
/// On start it creates missing failed/archive directories (mode 0700), settles the files already present, then
/// follows inotify. A file is taken once it has stayed unchanged for its folder's `settleTime` after the last
/// write, close or scan that saw it; it is renamed into the spool only after its job is committed, so a crash
/// leaves it either in the hot folder or in the outbox. A folder that goes away is reported missing and watched
/// again, with a rescan, as soon as a directory is back at its path. Runs until graceful shutdown or
/// cancellation; files not yet claimed then stay in the folder for the next start.
public struct HotFolderService: Service {
    private let folders: [HotFolderSettings]
    private let outbox: Outbox
    private let logger: Logger
    private let started: StartupBarrier?
    private let folderStatesInput: AsyncStream<[String: HotFolderState]>.Continuation

    /// Which hot folders are watched and which are missing, keyed by configured path (trailing slashes dropped):
    /// the full picture once watching has started, then again on every change. For one reader (the composition
    /// root, for systemd's `STATUS=`); a reader more than 64 changes behind misses the oldest. Finishes when
    /// `run()` returns.
    public let folderStates: AsyncStream<[String: HotFolderState]>

    /// `started` hears once every folder is watched (the daemon's READY waits for it).
    public init(folders: [HotFolderSettings], outbox: Outbox, logger: Logger, started: StartupBarrier? = nil) {
        self.started = started
        self.folders = folders
        self.outbox = outbox
        self.logger = logger
        (folderStates, folderStatesInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
    }

    /// - Throws: `HotFolderError` when a hot folder is missing at start or cannot be watched, or a failed/archive
    ///   directory cannot be created.
    public func run() async throws {
        let input = folderStatesInput
        defer { input.finish() }
        let engine = HotFolderEngine(folders: folders, outbox: outbox, logger: logger) { states in
            input.yield(states)
        }
        do {
            try await engine.start()
        } catch {
            await engine.stop()
            throw error
        }
        started?.arrive()
        // Either ends the wait: a graceful shutdown returns, cancellation throws.
        try? await gracefulShutdown()
        await engine.stop()
        logger.info("stopped watching hot folders")
    }
}
