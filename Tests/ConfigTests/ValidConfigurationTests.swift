import Config
import Foundation
import SpoolbridgeCore
import Testing

@Suite("Configuration: what a valid file means")
struct ValidConfigurationTests {
    @Test func theFullExampleParsesToTheRightValues() throws {
        let configuration = try ConfigurationLoader.parse(fullExample, file: configFile)

        #expect(configuration.cloud.url == "https://print.example.com:7300")
        #expect(configuration.cloud.apiKeyFile == "/etc/spoolbridge/api-key")
        #expect(configuration.cloud.caFile == "/etc/spoolbridge/ca.pem")
        #expect(configuration.cloud.allowInsecureHTTP == false)
        #expect(configuration.spool.directory == "/var/lib/spoolbridge")
        #expect(configuration.spool.maxDocumentBytes == 150 * 1024 * 1024)
        #expect(configuration.spool.minFreeBytes == 1024 * 1024 * 1024)
        #expect(configuration.delivery.concurrency == 8)
        #expect(configuration.delivery.maxAgeHours == 48)
        #expect(configuration.retryPolicy.maxAgeSeconds == Double(48 * 3600))

        try #require(configuration.hotFolders.count == 3)
        let finance = configuration.hotFolders[0]
        #expect(finance.path == "/srv/print/finance")
        #expect(finance.port == "Finance")
        #expect(finance.owner == .fixed("alice"))
        #expect(finance.options == PrintOptions(copies: 1, duplex: .simplex, grayscale: false))
        #expect(finance.archiveDirectory == "/srv/print/finance-done")
        #expect(finance.failedDirectory == "/srv/print/finance-failed")

        let team = configuration.hotFolders[1]
        #expect(team.path == "/srv/print/team", "a trailing slash is dropped")
        #expect(team.port == "Team")
        #expect(team.owner == .subfolder)
        #expect(team.options == PrintOptions(copies: 3, duplex: .longEdge, grayscale: true))
        #expect(team.archiveDirectory == nil)
        #expect(team.failedDirectory == "/srv/print/team-failed")

        let home = configuration.hotFolders[2]
        #expect(home.owner == .fileOwner)
        #expect(home.options == PrintOptions(duplex: .shortEdge), "unset options are not sent")
    }

    @Test func defaultsFillEverythingButTheCloudURL() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud, file: configFile)

        #expect(configuration.cloud.apiKeyFile == nil)
        #expect(configuration.cloud.caFile == nil)
        #expect(configuration.cloud.allowInsecureHTTP == false)
        #expect(configuration.spool.directory == SpoolDirectoryDefault.current)
        #expect(configuration.spool.maxDocumentBytes == 200 * 1024 * 1024)
        #expect(configuration.spool.minFreeBytes == 256 * 1024 * 1024)
        #expect(configuration.delivery.concurrency == 4)
        #expect(configuration.delivery.maxAgeHours == 72)
        #expect(configuration.retryPolicy.maxAgeSeconds == Double(72 * 3600))
        #expect(configuration.delivery.stallSeconds == 60)
        #expect(configuration.hotFolders.isEmpty)
    }

    @Test func theFailedFolderDefaultsToPathDashFailed() throws {
        let configuration = try ConfigurationLoader.parse(withHotFolder("""
            path = "/srv/print/legal"
            port = "Legal"
            user = "carol"
            """), file: configFile)
        #expect(configuration.hotFolders.first?.failedDirectory == "/srv/print/legal-failed")
        #expect(configuration.hotFolders.first?.archiveDirectory == nil)
        #expect(configuration.hotFolders.first?.options == PrintOptions())
        #expect(configuration.hotFolders.first?.settleTime == .milliseconds(300), "the documented settle_ms default")
    }

    @Test(arguments: [(0, Duration.zero), (2000, .milliseconds(2000)), (600_000, .seconds(600))])
    func settleMsIsReadPerFolder(milliseconds: Int, expected: Duration) throws {
        let configuration = try ConfigurationLoader.parse(withHotFolder("""
            path = "/srv/scans"
            port = "Scans"
            user = "scanner"
            settle_ms = \(milliseconds)
            """), file: configFile)
        #expect(configuration.hotFolders.first?.settleTime == expected)
    }

    @Test func maxAgeZeroMeansRetryForever() throws {
        let configuration = try ConfigurationLoader.parse(minimalCloud + "\n[delivery]\nmax_age_hours = 0\n", file: configFile)
        #expect(configuration.delivery.maxAgeHours == nil)
        #expect(configuration.retryPolicy.maxAgeSeconds == nil)
    }

    @Test func stallSecondsTakesWholeAndFractionalSeconds() throws {
        let whole = try ConfigurationLoader.parse(minimalCloud + "\n[delivery]\nstall_seconds = 120\n", file: configFile)
        #expect(whole.delivery.stallSeconds == 120)
        let fraction = try ConfigurationLoader.parse(minimalCloud + "\n[delivery]\nstall_seconds = 2.5\n", file: configFile)
        #expect(fraction.delivery.stallSeconds == 2.5)
    }

    @Test func plainHTTPIsAcceptedWhenExplicitlyAllowed() throws {
        let configuration = try ConfigurationLoader.parse("""
            [cloud]
            url = "http://print.example.com:7300"
            allow_insecure_http = true
            """, file: configFile)
        #expect(configuration.cloud.allowInsecureHTTP)
        #expect(configuration.cloud.url == "http://print.example.com:7300")
    }

    @Test(arguments: ["http://127.0.0.1:7300", "http://localhost:8080", "http://[::1]:7300"])
    func plainHTTPToLoopbackIsAccepted(url: String) throws {
        let configuration = try ConfigurationLoader.parse("[cloud]\nurl = \"\(url)\"\n", file: configFile)
        #expect(configuration.cloud.url == url)
    }

    @Test func loadReadsTheFileFromDisk() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spoolbridge-config-\(UInt64.random(in: 0 ... .max)).toml").path
        try fullExample.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let configuration = try ConfigurationLoader.load(path: path)

        #expect(configuration == (try ConfigurationLoader.parse(fullExample, file: path)))
    }

    @Test func aMissingFileIsUnreadableAndNamed() {
        let path = "/nonexistent/spoolbridge-\(UInt64.random(in: 0 ... .max)).toml"
        #expect {
            try ConfigurationLoader.load(path: path)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .unreadable && error.description.contains(path)
        }
    }

    @Test func theDefaultSpoolIsOneTheRunningUserCanCreate() {
        let systemd = ["STATE_DIRECTORY": "/var/lib/spoolbridge", "HOME": "/root"]
        #expect(SpoolDirectoryDefault.directory(environment: systemd, effectiveUID: 998) == "/var/lib/spoolbridge")
        #expect(SpoolDirectoryDefault.directory(environment: ["HOME": "/root"], effectiveUID: 0) == "/var/lib/spoolbridge")
        #expect(SpoolDirectoryDefault.directory(environment: ["HOME": "/home/alice"], effectiveUID: 1000)
            == "/home/alice/.local/state/spoolbridge")
        #expect(SpoolDirectoryDefault.directory(
            environment: ["HOME": "/home/alice", "XDG_STATE_HOME": "/srv/state"], effectiveUID: 1000) == "/srv/state/spoolbridge")
        #expect(SpoolDirectoryDefault.directory(environment: [:], effectiveUID: 1000) == "/var/lib/spoolbridge")
    }
}
