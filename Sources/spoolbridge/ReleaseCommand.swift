import ArgumentParser
import Daemon
import Foundation
import Outbox
import SpoolbridgeCore

/// `spoolbridge release`: by card at a reader (`/card`), or a document to an output port
/// (`POST /documents/UUID/PRINTER`). Queued in the outbox like every cloud call.
struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release jobs: by card at a reader, or one document to an output port.",
        discussion: """
            spoolbridge release --card CARDID --reader ADDRESS
            spoolbridge release --document UUID|--job ID --printer SERIAL|ADDRESS [--copies N] [--grayscale] [--duplex 0|1|2] [--retain]

            --job takes a local upload job's id: once it is delivered, its document is released; while it is still \
            on its way, the release is queued the moment its upload is recorded delivered. A release refused with \
            400, 403 or 404 fails at once with the cloud's message (`spoolbridge jobs`); other refusals are retried.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "The card id swiped (with --reader).")
    var card: String?

    @Option(help: "The printer's or card reader's address, sent as Mac (with --card).")
    var reader: String?

    @Option(help: "The cloud document's uuid.")
    var document: String?

    @Option(help: "A local upload job's id (see `spoolbridge jobs`).")
    var job: Int64?

    @Option(help: "The output port's serial number or address.")
    var printer: String?

    @Option(help: "Number of copies.")
    var copies: Int?

    @Flag(help: "Print in grayscale.")
    var grayscale = false

    @Option(help: "0 = simplex, 1 = long edge, 2 = short edge.")
    var duplex: Int?

    @Flag(help: "Keep the document in the cloud after printing.")
    var retain = false

    /// What was asked, once the options are checked.
    enum Request {
        case card(CardSwipe)
        case document(DocumentRelease)
        case job(JobID, UploadFollowUp)
    }

    func validate() throws {
        _ = try request()
    }

    func request() throws(ValidationError) -> Request {
        if let card {
            guard document == nil, job == nil, printer == nil, copies == nil, duplex == nil, !grayscale, !retain else {
                throw ValidationError("--card: releases by card take only --reader; --document/--job take --printer and the options")
            }
            guard CardSwipe.isPlausibleCardID(card) else {
                throw ValidationError("--card: a card id is 1 to 64 printable ASCII characters without spaces")
            }
            guard let reader, DocumentRelease.isPlausiblePrinter(reader) else {
                throw ValidationError("--reader: the reader's address is required with --card (printable, no spaces or slashes)")
            }
            return .card(CardSwipe(cardID: card, reader: reader))
        }
        guard reader == nil else { throw ValidationError("--reader: only with --card") }
        guard (document == nil) != (job == nil) else {
            throw ValidationError("--document: give exactly one of --card, --document or --job")
        }
        guard let printer, DocumentRelease.isPlausiblePrinter(printer) else {
            throw ValidationError("--printer: the output port's serial number or address is required (printable, no spaces or slashes)")
        }
        if let copies, !(1...999).contains(copies) { throw ValidationError("--copies: from 1 to 999, not \(copies)") }
        var duplexMode: PrintOptions.Duplex?
        if let duplex {
            guard let mode = PrintOptions.Duplex(rawValue: duplex) else {
                throw ValidationError("--duplex: 0 (simplex), 1 (long edge) or 2 (short edge), not \(duplex)")
            }
            duplexMode = mode
        }
        let followUp = UploadFollowUp(
            releaseTo: printer, copies: copies, grayscale: grayscale ? true : nil, duplex: duplexMode, retain: retain ? true : nil)
        if let job {
            guard job > 0 else { throw ValidationError("--job: a job id is a positive number, not \(job)") }
            return .job(JobID(job), followUp)
        }
        guard let document, DocumentRelease.isPlausibleUUID(document) else {
            throw ValidationError("--document: a document uuid is hex digits and dashes, as the cloud writes them")
        }
        return .document(followUp.release(of: document, after: nil)!)
    }

    func run() throws {
        do {
            let (_, outbox) = try options.openOutbox()
            let source = JobSource.submitted(.init(channel: .cli, detail: "spoolbridge release"))
            let message: String
            switch try request() {
            case .card(let swipe):
                let id = try outbox.enqueue([RequestSubmission(task: .card(swipe), source: source)]).first!.jobID
                message = "card release queued as job \(id)"
            case .document(let release):
                let id = try outbox.enqueue([RequestSubmission(task: .release(release), source: source)]).first!.jobID
                message = "release queued as job \(id)"
            case .job(let upload, let followUp):
                switch try outbox.releaseAfterUpload(upload, followUp) {
                case .queued(let id): message = "release queued as job \(id)"
                case .afterDelivery: message = "job \(upload) is not delivered yet: its release is queued when it is"
                }
            }
            let nudged = DaemonNudge.send(spool: outbox.layout)
            print(message + (nudged ? "" : "; it is sent when the daemon runs"))
        } catch {
            Self.fail(error)
        }
    }
}
