/// Where things live under `spool.directory` (0700; files 0600):
///
///     spoolbridge.lock               flock'd by the one daemon using the spool; holds its pid
///     outbox.sqlite (+ -wal, -shm)   the job rows
///     payloads/<name>                one file per job not yet disposed of: the to-do list recovery reads
///     incoming/<name>.part           CUPS jobs being received; never a job until renamed into payloads/
///     failed/                        failed CUPS jobs (hot folders have their own failed folder)
public struct SpoolLayout: Sendable, Hashable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    public var database: String { directory + "/outbox.sqlite" }
    public var lockFile: String { directory + "/spoolbridge.lock" }
    public var payloads: String { directory + "/payloads" }
    public var incoming: String { directory + "/incoming" }
    public var failed: String { directory + "/failed" }

    public func payload(_ name: String) -> String { payloads + "/" + name }
}
