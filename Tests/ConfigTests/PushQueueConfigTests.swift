import Config
import Testing

@Suite("Config: push queues (release_to)")
struct PushQueueConfigTests {
    @Test func releaseToIsReadIntoTheFolder() throws {
        let text = withHotFolder("""
            path = "/srv/print/push"
            port = "Push"
            user = "alice"
            release_to = "SN123"
            """)
        let configuration = try ConfigurationLoader.parse(text, file: configFile)
        #expect(configuration.hotFolders.first?.releaseTo == "SN123")
    }

    @Test func aReleaseTargetWithASlashIsRefusedNamingTheKey() {
        let text = withHotFolder("""
            path = "/srv/print/push"
            port = "Push"
            user = "alice"
            release_to = "SN/123"
            """)
        expectRefusal(text, code: .invalidValue, key: "hotfolder[0].release_to", line: line(of: "release_to", in: text))
    }
}

@Suite("Config: records folders ([[records]])")
struct RecordsFolderConfigTests {
    @Test func aRecordsFolderIsWatchedLikeAHotFolderWithRecordsIntake() throws {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            """) + """

            [[records]]
            path = "/srv/accounting"
            settle_ms = 1000
            """
        let configuration = try ConfigurationLoader.parse(text, file: configFile)
        let records = try #require(configuration.hotFolders.first { $0.intake == .records })
        #expect(records.path == "/srv/accounting")
        #expect(records.failedDirectory == "/srv/accounting-failed")
        #expect(records.settleTime == .milliseconds(1000))
        #expect(configuration.hotFolders.filter { $0.intake == .documents }.count == 1)
    }

    @Test func anUnknownKeyInARecordsFolderIsRefused() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            """) + """

            [[records]]
            path = "/srv/accounting"
            port = "X"
            """
        #expect(throws: ConfigError.self) { try ConfigurationLoader.parse(text, file: configFile) }
    }
}

@Suite("Config: [card_reader]")
struct CardReaderConfigTests {
    @Test func aLoopbackListenerWithAReader() throws {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            """) + """

            [card_reader]
            listen = "127.0.0.1:7310"
            reader = "10.0.0.7"
            debounce_ms = 500
            """
        let reader = try #require(try ConfigurationLoader.parse(text, file: configFile).cardReader)
        #expect(reader.listen == .init(host: "127.0.0.1", port: 7310) && reader.reader == "10.0.0.7" && reader.device == nil)
        #expect(reader.debounce == .milliseconds(500))
    }

    @Test func aRemoteListenerNeedsAllowRemote() {
        let text = withHotFolder("""
            path = "/srv/print/a"
            port = "A"
            user = "alice"
            """) + """

            [card_reader]
            listen = "0.0.0.0:7310"
            reader = "10.0.0.7"
            """
        expectRefusal(text, code: .insecure, key: "card_reader.listen", line: line(of: "listen", in: text))
    }
}
