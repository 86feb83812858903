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
