import EmulatorKit
import Foundation
import Testing

/// `[auth] mode` decides how the daemon authenticates, not what happens to be stored: a token mode
/// with nothing stored holds every job and says what to run (and takes a registration stored later
/// without a restart); `api-key` ignores a stored pair.
@Suite(.serialized)
struct DaemonAuthModeTests {
    @Test func deviceTokenModeWithNothingStoredHoldsJobsUntilARegistrationAppears() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [http]
            listen = "127.0.0.1:0"

            [[hotfolder]]
            path = "\(hot)"
            port = "Floor2"
            user = "alice"

            [auth]
            mode = "device-token"
            """)
        let notify = try NotifySocket(in: directory)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        let ready = try #require(try await offPool { notify.waitFor("READY=1", timeout: .seconds(10)) })
        #expect(ready.last?.contains("auth (device-token): needs re-registration") == true, "\(ready)")
        try await daemon.waitUntilRunning()
        let port = try await daemon.httpPort()
        #expect(daemon.log.contains("spoolbridge device register"), "the log says what to run")

        try drop(randomBytes(1000), named: "held.pdf", into: hot)
        try await waitUntil("the job is queued") { try daemon.cli(["jobs", "--json"]).output.contains("held.pdf") }
        let health = try await httpGet(port: port, path: "/healthz")
        #expect(health.status == 503, "\(health.body)")
        let document = try healthObject(health.body)
        #expect(document["auth"] as? String == "needs re-registration")
        #expect(((document["auth_detail"] as? [String: Any])?["last_error"] as? String)?.contains("spoolbridge device register") == true)
        let status = try daemon.cli(["status", "--json"])
        #expect(status.status == 1)
        #expect(status.output.contains("needs re-registration"), "\(status.output)")
        let text = try daemon.cli(["status"])
        #expect(text.output.contains("auth: device-token: token: not registered"), "\(text.output)")
        #expect(emulator.requestCount(path: "/api/v1/documents") == 0, "nothing is sent without a token")
        #expect(!(try daemon.cli(["jobs", "--json"]).output.contains("\"failed\"")), "an auth problem fails no job")

        // The admin registers (the CLI stores the pair); the running daemon takes it at its next probe.
        try storeTokenPair(spool: directory.path + "/spool")
        _ = try await emulator.waitForDocuments(count: 1, timeout: .seconds(60))
        try await waitUntil("auth ok in /healthz") {
            (try? healthObject(blockingGet(port: port, path: "/healthz", timeout: .seconds(5)).body))?["auth"] as? String == "ok"
        }
        #expect(daemon.log.contains("found a new registration"))
        daemon.stop()
        try await emulator.shutdown()
        #expect(!daemon.log.contains("it-secret-42"), "a token value was logged")
    }

    @Test func apiKeyModeIgnoresAStoredPair() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let hot = try directory.subdirectory("in")
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [[hotfolder]]
            path = "\(hot)"
            port = "Floor2"
            user = "alice"

            [auth]
            mode = "api-key"
            """)
        // A pair a token mode could not use (spent, expired): with the API key alone it does not matter.
        try storeTokenPair(spool: directory.path + "/spool", spendingSince: true, expired: true)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "a.pdf", into: hot)
        _ = try await emulator.waitForDocuments(count: 1, timeout: .seconds(20))
        #expect(daemon.log.contains("mode is api-key: the token pair stored"))
        #expect(!daemon.log.contains("bearer tokens on"))
        #expect(emulator.requestCount(path: "/oauth/v1/token") == 0)
        let status = try daemon.cli(["status", "--json"])
        #expect(status.output.contains("\"auth\" : \"ok\""), "\(status.output)")
        daemon.stop()
        try await emulator.shutdown()
    }

    @Test func userTokenModeWithNothingStoredNamesLoginAndWarnsAboutAReadablePasswordFile() async throws {
        let emulator = try await CloudEmulator.start()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let password = directory.path + "/password"
        try "pw-it-secret-9\n".write(toFile: password, atomically: true, encoding: .utf8)
        chmod(password, 0o644)
        let daemon = try DaemonProcess(in: directory, cloudURL: emulator.baseURL, extraConfig: """
            [auth]
            mode = "user-token"
            user = "printbot"
            password_file = "\(password)"
            """)
        try daemon.start()
        try await daemon.waitUntilRunning()
        #expect(daemon.log.contains("spoolbridge login"), "\(daemon.log)")
        #expect(daemon.log.contains(password) && daemon.log.contains("644"), "the password file's mode is warned about")
        let status = try daemon.cli(["device", "status"])
        #expect(status.status == 1)
        #expect(status.output.contains("spoolbridge login"))
        daemon.stop()
        try await emulator.shutdown()
        #expect(!daemon.log.contains("pw-it-secret-9"))
    }
}
