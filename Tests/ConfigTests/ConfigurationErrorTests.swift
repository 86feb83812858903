import Config
import Testing

@Suite("Configuration: refusals name the key, the line and what is expected")
struct ConfigurationErrorTests {
    @Test func badDuplexValue() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            duplex = "both-sides"
            """)
        expectRefusal(
            text, code: .invalidValue, key: "hotfolder[0].duplex", line: line(of: "duplex", in: text),
            mentioning: ["simplex", "long-edge", "short-edge", "both-sides"])
    }

    @Test func copiesZero() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            copies = 0
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].copies", line: line(of: "copies", in: text), mentioning: ["1"])
    }

    @Test func copiesAsAStringIsRefused() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            copies = "2"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].copies", line: line(of: "copies", in: text))
    }

    @Test func grayscaleMustBeABoolean() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            grayscale = "yes"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].grayscale", line: line(of: "grayscale", in: text), mentioning: ["true"])
    }

    @Test func aTypoedKeyIsRefusedNotIgnored() {
        let text = minimalCloud + """


            [spool]
            directory = "/var/lib/spoolbridge"
            max_documen_mb = 50
            """
        expectRefusal(
            text, code: .unknownKey, key: "spool.max_documen_mb", line: line(of: "max_documen_mb", in: text),
            mentioning: ["max_document_mb"])
    }

    @Test func anUnknownSectionIsRefused() {
        let text = minimalCloud + "\n\n[clodu]\nurl = \"https://x\"\n"
        expectRefusal(text, code: .unknownKey, key: "clodu", line: line(of: "[clodu]", in: text), mentioning: ["cloud"])
    }

    @Test func anUnknownKeyInAHotFolderIsRefused() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            dupelx = "simplex"
            """)
        expectRefusal(text, code: .unknownKey, key: "hotfolder[0].dupelx", line: line(of: "dupelx", in: text), mentioning: ["duplex"])
    }

    @Test func bothUserAndOwner() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            owner = "subfolder"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].owner", line: line(of: "owner", in: text), mentioning: ["user"])
    }

    @Test func neitherUserNorOwner() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            """)
        expectRefusal(
            text, code: .missingKey, key: "hotfolder[0].user", line: line(of: "[[hotfolder]]", in: text),
            mentioning: ["owner", "subfolder", "file-owner"])
    }

    @Test func anUnknownOwnerKind() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            owner = "group"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].owner", line: line(of: "owner", in: text), mentioning: ["group"])
    }

    @Test func missingPort() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            user = "alice"
            """)
        expectRefusal(text, code: .missingKey, key: "hotfolder[0].port", line: line(of: "[[hotfolder]]", in: text))
    }

    @Test func aRelativeHotFolderPath() {
        let text = withHotFolder("""
            path = "print/a"
            port = "A"
            user = "alice"
            """)
        expectRefusal(
            text, code: .invalidValue, key: "hotfolder[0].path", line: line(of: "path", in: text), mentioning: ["absolute", "print/a"])
    }

    @Test func aRelativeSpoolDirectory() {
        let text = minimalCloud + "\n[spool]\ndirectory = \"var/lib/spoolbridge\"\n"
        expectRefusal(text, code: .invalidValue, key: "spool.directory", line: line(of: "directory", in: text), mentioning: ["absolute"])
    }

    @Test
    func aFailedFolderThatIsAnotherHotFolderIsRefused() {
        // Files failing in /srv/print/a would be taken by /srv/print/b and printed on port B as someone else.
        let text = minimalCloud + """


            [[hotfolder]]
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            failed = "/srv/print/b"

            [[hotfolder]]
            path = "/srv/print/b"
            port = "B"
            user = "bob"
            """
        guard let error = refusal(text) else { return }
        #expect(error.key == "hotfolder[0].failed", "\(error)")
    }

    @Test func aTOMLSyntaxErrorGivesItsLine() {
        let text = """
            [cloud]
            url = "https://print.example.com

            [spool]
            """
        guard let error = refusal(text) else { return }
        #expect(error.code == .syntax)
        #expect(error.line == 2, "\(error)")
        #expect(error.description.hasPrefix("\(configFile):2"), "\(error)")
    }

    @Test func aSyntaxErrorFurtherDownGivesThatLine() {
        let text = minimalCloud + "\n\n[delivery]\nconcurrency = = 4\n"
        guard let error = refusal(text) else { return }
        #expect(error.code == .syntax)
        #expect(error.line == line(of: "concurrency", in: text), "\(error)")
    }

    @Test func theSameHotFolderTwice() {
        let text = minimalCloud + """


            [[hotfolder]]
            path = "/srv/print/a"
            port = "A"
            user = "alice"

            [[hotfolder]]
            path = "/srv/print/a/"
            port = "B"
            user = "bob"
            """
        let secondPath = text.split(separator: "\n", omittingEmptySubsequences: false)
            .indices.filter { text.split(separator: "\n", omittingEmptySubsequences: false)[$0].contains("path =") }.last.map { $0 + 1 }
        expectRefusal(text, code: .invalidValue, key: "hotfolder[1].path", line: secondPath, mentioning: ["/srv/print/a", "twice"])
    }

    @Test func aFailedFolderInsideASubfolderOwnerHotFolder() {
        let text = withHotFolder("""
            path = "/srv/print/team"
            port = "Team"
            owner = "subfolder"
            failed = "/srv/print/team/failed"
            """)
        expectRefusal(
            text, code: .invalidValue, key: "hotfolder[0].failed", line: line(of: "failed =", in: text), mentioning: ["outside"])
    }

    @Test func anArchiveEqualToTheHotFolder() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            archive = "/srv/print/a/"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].archive", line: line(of: "archive", in: text), mentioning: ["outside"])
    }

    @Test func errorsInTheSecondHotFolderPointAtItsOwnLines() {
        let text = minimalCloud + """


            [[hotfolder]]
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            copies = 2

            [[hotfolder]]
            path = "/srv/print/b"
            port = "B"
            user = "bob"
            copies = 1000
            """
        expectRefusal(text, code: .invalidValue, key: "hotfolder[1].copies", line: line(of: "copies = 1000", in: text))
    }

    @Test func aSingleHotfolderTableInsteadOfAnArrayIsExplained() {
        let text = minimalCloud + "\n\n[hotfolder]\npath = \"/srv/print/a\"\nport = \"A\"\nuser = \"alice\"\n"
        guard let error = refusal(text) else { return }
        #expect(error.key == "hotfolder")
        #expect(error.description.contains("[[hotfolder]]"), "\(error)")
    }

    @Test func aDocumentLimitAboveTheCloudsIsRefused() {
        let text = minimalCloud + "\n[spool]\nmax_document_mb = 500\n"
        expectRefusal(text, code: .invalidValue, key: "spool.max_document_mb", line: line(of: "max_document_mb", in: text), mentioning: ["200"])
    }

    @Test(arguments: ["0", "-1", "1000"])
    func concurrencyOutOfRange(value: String) {
        let text = minimalCloud + "\n[delivery]\nconcurrency = \(value)\n"
        expectRefusal(text, code: .invalidValue, key: "delivery.concurrency", line: line(of: "concurrency", in: text))
    }

    /// settle_ms: a whole, non-negative number of milliseconds; the refusal names the key and the folder.
    @Test(arguments: [
        ("-1", ["/srv/scans", "0…600000", "-1"]),
        ("600001", ["/srv/scans", "at most 10 minutes", "600001"]),
        ("\"2000\"", ["/srv/scans", "whole number of milliseconds", "settle_ms = 2000"]),
        ("1.5", ["/srv/scans", "whole number of milliseconds"]),
    ])
    func settleMsMustBeANonNegativeWholeNumber(value: String, fragments: [String]) {
        let text = withHotFolder("""
            path = "/srv/scans"
            port = "Scans"
            user = "scanner"
            settle_ms = \(value)
            """)
        expectRefusal(
            text, code: .invalidValue, key: "hotfolder[0].settle_ms", line: line(of: "settle_ms", in: text),
            mentioning: fragments)
    }

    @Test(arguments: ["0", "-1", "0.0", "100000", "nan", "\"60\""])
    func stallSecondsMustBeAPositiveNumber(value: String) {
        let text = minimalCloud + "\n[delivery]\nstall_seconds = \(value)\n"
        expectRefusal(text, code: .invalidValue, key: "delivery.stall_seconds", line: line(of: "stall_seconds", in: text))
    }

    @Test func theDescriptionIsFileLineKeyMessage() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            copies = 0
            """)
        guard let error = refusal(text) else { return }
        #expect(error.description == "\(configFile):\(error.line ?? -1): hotfolder[0].copies: \(error.message)")
    }
}
