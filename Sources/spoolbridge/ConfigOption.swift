import ArgumentParser
import Config
import Foundation
import Outbox

/// `--config PATH`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config: String = DaemonConfiguration.defaultPath

    func load() throws -> DaemonConfiguration {
        do {
            return try ConfigurationLoader.load(path: config)
        } catch {
            throw CLIError("configuration refused: \(error)", exitCode: 78)  // EX_CONFIG
        }
    }

    /// The outbox of the configured spool, read-only, for `status` and `jobs`: creates and migrates
    /// nothing, safe while the daemon runs.
    func openOutboxForReading() throws -> (DaemonConfiguration, Outbox) {
        umask(0o077)
        let configuration = try load()
        try becomeSpoolOwner(configuration.spool.directory)
        do {
            let outbox = try Outbox.openReadOnly(
                directory: configuration.spool.directory, maxDocumentBytes: configuration.spool.maxDocumentBytes,
                minFreeBytes: configuration.spool.minFreeBytes, retryPolicy: configuration.retryPolicy)
            return (configuration, outbox)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// The outbox of the configured spool, for `retry` and `cancel` (each change is one transaction,
    /// safe while the daemon runs).
    func openOutbox() throws -> (DaemonConfiguration, Outbox) {
        umask(0o077)  // a -wal or -shm file this command creates must be as private as the rest
        let configuration = try load()
        let layout = SpoolLayout(directory: configuration.spool.directory)
        guard FileManager.default.fileExists(atPath: layout.database) else {
            throw CLIError("no outbox at \(layout.database): has `spoolbridge run` started with this configuration?")
        }
        try becomeSpoolOwner(layout.directory)
        do {
            let outbox = try Outbox(
                directory: configuration.spool.directory, maxDocumentBytes: configuration.spool.maxDocumentBytes,
                minFreeBytes: configuration.spool.minFreeBytes, retryPolicy: configuration.retryPolicy)
            return (configuration, outbox)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// Run as root, the CLI takes on the spool owner's identity first: SQLite may create the `-wal`
/// and `-shm` files, and root-owned ones would lock the daemon (user `spoolbridge`) out.
func becomeSpoolOwner(_ directory: String) throws {
    guard geteuid() == 0 else { return }
    var info = stat()
    guard stat(directory, &info) == 0, info.st_uid != 0 else { return }
    guard setgroups(0, nil) == 0, setgid(info.st_gid) == 0, setuid(info.st_uid) == 0 else {
        throw CLIError("cannot switch to the spool's owner (uid \(info.st_uid)): \(String(cString: strerror(errno)))")
    }
}

/// An error the CLI prints as one line on stderr, with a chosen exit status.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

extension ParsableCommand {
    /// Prints `error` as `spoolbridge: …` and exits with its status.
    static func fail(_ error: Error) -> Never {
        let code = (error as? CLIError)?.exitCode ?? 1
        FileHandle.standardError.write(Data("spoolbridge: \(error)\n".utf8))
        Foundation.exit(code)
    }
}
