import Glibc
import SpoolbridgeCore
import Testing

@testable import Ingest

@Suite struct IntakeRuleTests {
    private let folder = "/srv/print/finance"

    private func rule(_ owner: HotFolderSettings.Owner, max: Int64 = 200 << 20) -> IntakeRule {
        IntakeRule(owner: owner, maxDocumentBytes: max, folderPath: folder)
    }

    private func status(_ kind: FileStatus.Kind, size: Int64 = 1000, owner: uid_t = 1000) -> FileStatus {
        var raw = stat()
        raw.st_mode = switch kind {
        case .regular: S_IFREG
        case .directory: S_IFDIR
        case .symbolicLink: S_IFLNK
        case .fifo: S_IFIFO
        case .socket: S_IFSOCK
        case .characterDevice: S_IFCHR
        case .blockDevice: S_IFBLK
        case .unknown: 0
        }
        raw.st_size = Int(size)
        raw.st_uid = owner
        return FileStatus(raw)
    }

    private func decide(
        _ rule: IntakeRule, _ status: FileStatus, subfolder: String? = nil, openError: Int32? = nil,
        users: [uid_t: String] = [1000: "carol"]
    ) -> IntakeDecision {
        rule.decide(name: "doc.pdf", subfolder: subfolder, status: status, openError: openError) { users[$0] }
    }

    @Test func fixedOwnerTakesRegularFiles() {
        #expect(decide(rule(.fixed("alice")), status(.regular)) == .take(username: "alice"))
    }

    @Test func subfolderOwnerIsTheFirstLevelFolder() {
        #expect(decide(rule(.subfolder), status(.regular), subfolder: "bob") == .take(username: "bob"))
    }

    @Test func subfolderOwnerRefusesFilesDirectlyInTheFolder() throws {
        guard case .refuse(let reason) = decide(rule(.subfolder), status(.regular)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("owner = \"subfolder\""))
        #expect(reason.contains("\(folder)/<user>/"))
    }

    @Test func fileOwnerLooksUpTheUid() {
        #expect(decide(rule(.fileOwner), status(.regular, owner: 1000)) == .take(username: "carol"))
        guard case .refuse(let reason) = decide(rule(.fileOwner), status(.regular, owner: 4242)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("uid 4242"))
        #expect(reason.contains("file-owner"))
    }

    @Test(arguments: [
        (FileStatus.Kind.symbolicLink, "symbolic link"), (.fifo, "FIFO"), (.socket, "socket"),
        (.characterDevice, "character device"), (.blockDevice, "block device"),
    ])
    func refusesWhatIsNotARegularFile(kind: FileStatus.Kind, phrase: String) {
        guard case .refuse(let reason) = decide(rule(.fixed("alice")), status(kind)) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("doc.pdf"))
        #expect(reason.contains(phrase))
    }

    @Test func leavesDirectories() {
        #expect(decide(rule(.fixed("alice")), status(.directory)) == .leave)
    }

    @Test func refusesEmptyFiles() {
        #expect(decide(rule(.fixed("alice")), status(.regular, size: 0)) == .refuse(reason: "doc.pdf is empty (0 bytes); there is nothing to print"))
    }

    @Test func refusesFilesOverTheLimitNamingTheSetting() {
        let limit: Int64 = 200 << 20
        #expect(decide(rule(.fixed("alice"), max: limit), status(.regular, size: limit)) == .take(username: "alice"))
        guard case .refuse(let reason) = decide(rule(.fixed("alice"), max: limit), status(.regular, size: limit + 1))
        else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason == "doc.pdf is 200.1 MB, over spool.max_document_mb = 200")
    }

    @Test func openErrorsDecide() {
        let fixed = rule(.fixed("alice"))
        #expect(decide(fixed, status(.regular), openError: ENOENT) == .vanished)
        guard case .refuse(let link) = decide(fixed, status(.regular), openError: ELOOP),
            case .refuse(let denied) = decide(fixed, status(.regular), openError: EACCES)
        else {
            Issue.record("expected refusals")
            return
        }
        #expect(link.contains("symbolic link"))
        #expect(denied.contains("not readable"))
    }

    @Test func megabytesRoundUp() {
        #expect(IntakeRule.megabytes(200 << 20) == "200")
        #expect(IntakeRule.megabytes(1) == "0.1")
        #expect(IntakeRule.megabytes((1 << 20) + (1 << 19)) == "1.5")
    }
}
