import SpoolbridgeCore

/// Whether spoolbridge is taking files from a configured hot folder right now.
public enum HotFolderState: Sendable, Hashable {
    /// Watched: files dropped there are taken.
    case watching
    /// Nothing is at the configured path (deleted, renamed away, unmounted) since this time; spoolbridge looks for
    /// it every second and resumes by itself once a directory is there again.
    case missing(since: Timestamp)

    public var isMissing: Bool {
        if case .missing = self { true } else { false }
    }

    /// One line for systemd's `STATUS=` or a log: "watching 2 hot folders", or
    /// "watching 1 of 2 hot folders; MISSING: /srv/scans (recreate it and spoolbridge resumes)".
    public static func summary(_ states: [String: HotFolderState]) -> String {
        let missing = states.filter { $0.value.isMissing }.keys.sorted()
        let noun = states.count == 1 ? "hot folder" : "hot folders"
        guard !missing.isEmpty else { return "watching \(states.count) \(noun)" }
        return "watching \(states.count - missing.count) of \(states.count) \(noun); MISSING: "
            + missing.joined(separator: ", ") + " (recreate it and spoolbridge resumes)"
    }
}
