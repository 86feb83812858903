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
///
/// `reconfigure(_:)` (a reload) swaps the watched set: the running watches stop after any claim in progress
/// has committed, and the new set starts with a scan, so files not yet taken are taken by the new set (or stay
/// where they are if their folder was removed). Jobs already in the outbox are not touched.
public struct HotFolderService: Service {
    private let folders: [HotFolderSettings]
    private let outbox: Outbox
    private let logger: Logger
    private let started: StartupBarrier?
    private let folderStatesInput: AsyncStream<[String: HotFolderState]>.Continuation
    private let changes: AsyncStream<Change>
    private let changesInput: AsyncStream<Change>.Continuation

    private struct Change: Sendable {
        var folders: [HotFolderSettings]
        var done: CheckedContinuation<Void, any Error>
    }

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
        (changes, changesInput) = AsyncStream.makeStream()
    }

    /// Watches `folders` instead of the current set. Throws (and keeps watching the current set) when the new
    /// set cannot be watched, e.g. a new folder does not exist.
    public func reconfigure(_ folders: [HotFolderSettings]) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if case .terminated = changesInput.yield(Change(folders: folders, done: done)) {
                done.resume(throwing: HotFolderError.notRunning)
            }
        }
    }

    /// - Throws: `HotFolderError` when a hot folder is missing at start or cannot be watched, or a failed/archive
    ///   directory cannot be created.
    public func run() async throws {
        let input = folderStatesInput
        defer { input.finish() }
        var current = folders
        var engine = try await start(current)
        started?.arrive()
        // A graceful shutdown ends the stream of changes (and so the loop); so does cancellation.
        let changesInput = self.changesInput
        await withGracefulShutdownHandler {
            for await change in changes {
                await engine?.stop()
                do {
                    engine = try await start(change.folders)
                    current = change.folders
                    change.done.resume()
                } catch {
                    // The running set comes back as it was (its folders were watchable a moment ago).
                    engine = try? await start(current)
                    change.done.resume(throwing: error)
                }
            }
        } onGracefulShutdown: {
            changesInput.finish()
        }
        changesInput.finish()
        for await change in changes { change.done.resume(throwing: HotFolderError.notRunning) }
        await engine?.stop()
        logger.info("stopped watching hot folders")
    }

    /// A running engine for `folders`, nil for none.
    private func start(_ folders: [HotFolderSettings]) async throws -> HotFolderEngine? {
        let input = folderStatesInput
        guard !folders.isEmpty else {
            input.yield([:])
            return nil
        }
        let engine = HotFolderEngine(folders: folders, outbox: outbox, logger: logger) { states in
            input.yield(states)
        }
        do {
            try await engine.start()
        } catch {
            await engine.stop()
            throw error
        }
        return engine
    }
}
