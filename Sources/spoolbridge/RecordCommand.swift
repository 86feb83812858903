import ArgumentParser
import Daemon
import Foundation
import Outbox
import SpoolbridgeCore

/// `spoolbridge record`: a copy, scan, fax or print job recorded in the cloud's history
/// (`POST /documents/history`), queued in the outbox like any other job.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a copy, scan, fax or print job in the cloud's history; prints the job id.",
        discussion: """
            The record is validated, queued in the outbox and sent by the daemon with retries (it is queued even \
            while the daemon is down, and sent when it runs). `spoolbridge jobs` shows it as kind "record". \
            See Docs/records-and-release.md.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "PRINT, COPY, SCAN or FAX.")
    var type: String?

    @Option(help: "Total pages.")
    var pages: String?

    @Option(name: .customLong("color-pages"), help: "Color pages (at most --pages).")
    var colorPages: String?

    @Option(help: "Paper size, e.g. A4.")
    var paper: String?

    @Flag(inversion: .prefixedNo, help: "Duplex (long edge) or not; left out when neither is given.")
    var duplex: Bool?

    @Option(help: "Document title.")
    var title: String?

    @Option(help: "The output port's serial number (this or --address is required).")
    var serial: String?

    @Option(help: "The output port's address.")
    var address: String?

    @Option(help: "The user (with a device token, together with --provider).")
    var user: String?

    @Option(help: "The user's authentication provider id.")
    var provider: String?

    func run() throws {
        let record: HistoryRecord
        do {
            record = try HistoryRecord.validated(fields, prefix: "--")
        } catch {
            Self.fail(CLIError("invalid record: \(error)", exitCode: 64))  // EX_USAGE
        }
        do {
            let (_, outbox) = try options.openOutbox()
            let source = JobSource.submitted(.init(channel: .cli, detail: "spoolbridge record"))
            let results = try outbox.enqueue([RequestSubmission(task: .record(record), source: source)])
            guard let id = results.first?.jobID else { throw CLIError("the record was not queued") }
            let nudged = DaemonNudge.send(spool: outbox.layout)
            print(id.rawValue)
            if !nudged { FileHandle.standardError.write(Data("spoolbridge: the daemon is not running; the record is sent when it runs\n".utf8)) }
        } catch {
            Self.fail(error)
        }
    }

    /// The options as given, under the names `HistoryRecord.keys` uses.
    var fields: [String: HistoryRecord.Value] {
        var fields: [String: HistoryRecord.Value] = [:]
        let texts: [(String, String?)] = [
            ("type", type), ("pages", pages), ("color-pages", colorPages), ("paper", paper), ("title", title),
            ("serial", serial), ("address", address), ("user", user), ("provider", provider),
        ]
        for case (let key, let value?) in texts { fields[key] = .text(value) }
        if let duplex { fields["duplex"] = .flag(duplex) }
        return fields
    }
}
