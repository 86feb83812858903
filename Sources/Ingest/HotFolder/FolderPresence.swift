import SpoolbridgeCore

/// Which configured hot folders are watched and which are missing, and which changes are news (one log line and
/// one published state per change, however often inotify or the recheck timer reports the same thing). Pure: the
/// engine does the I/O and acts on the answers.
struct FolderPresence: Sendable, Hashable {
    private(set) var states: [HotFolderState]
    /// Why a folder that is at its path again could not be watched, as last logged: logged once per reason.
    private var attachFailures: [Int: String] = [:]

    /// Every folder watched: the engine starts only once all of them exist.
    init(folderCount: Int) {
        states = Array(repeating: .watching, count: folderCount)
    }

    /// The folders to look for, by index; the recheck timer runs exactly while this is not empty.
    var missingFolders: [Int] { states.indices.filter { states[$0].isMissing } }

    func isMissing(_ folder: Int) -> Bool { states[folder].isMissing }

    /// The folder lost its watch. True when that is news (it was being watched).
    mutating func markMissing(_ folder: Int, at now: Timestamp) -> Bool {
        guard !states[folder].isMissing else { return false }
        states[folder] = .missing(since: now)
        return true
    }

    /// The folder is watched again. True when that is news (it was missing).
    mutating func markWatching(_ folder: Int) -> Bool {
        attachFailures[folder] = nil
        guard states[folder].isMissing else { return false }
        states[folder] = .watching
        return true
    }

    /// A directory is at the folder's path but cannot be watched (permissions, inotify limits). True when this
    /// reason was not the last one reported for it.
    mutating func noteAttachFailure(_ folder: Int, reason: String) -> Bool {
        attachFailures.updateValue(reason, forKey: folder) != reason
    }

    /// The states by configured path, as `HotFolderService.folderStates` publishes them.
    func snapshot(paths: [String]) -> [String: HotFolderState] {
        Dictionary(zip(paths, states), uniquingKeysWith: { first, _ in first })
    }
}
