import Logging
import Outbox
import ServiceLifecycle
import SpoolbridgeCore

/// Watches the configured hot folders and hands every complete document dropped there to the outbox.
///
/// On start it creates missing failed/archive directories (mode 0700), settles the files already present, then
/// follows inotify. A file is taken once it has stayed unchanged for its folder's `settleTime` after the last
/// write, close or scan that saw it; it is renamed into the spool only after its job is committed, so a crash
/// leaves it either in the hot folder or in the outbox. Runs until graceful shutdown or cancellation; files not yet
/// claimed then stay in the folder for the next start.
public struct HotFolderService: Service {
    private let folders: [HotFolderSettings]
    private let outbox: Outbox
    private let logger: Logger

    public init(folders: [HotFolderSettings], outbox: Outbox, logger: Logger) {
        self.folders = folders
        self.outbox = outbox
        self.logger = logger
    }

    /// - Throws: `HotFolderError` when a hot folder is missing or cannot be watched, or a failed/archive
    ///   directory cannot be created.
    public func run() async throws {
        let engine = HotFolderEngine(folders: folders, outbox: outbox, logger: logger)
        do {
            try await engine.start()
        } catch {
            await engine.stop()
            throw error
        }
        // Either ends the wait: a graceful shutdown returns, cancellation throws.
        try? await gracefulShutdown()
        await engine.stop()
        logger.info("stopped watching hot folders")
    }
}
