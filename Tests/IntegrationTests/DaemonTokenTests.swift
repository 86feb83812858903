import EmulatorKit
import Foundation
import Testing

/// The daemon as a real process with a stored token pair: it sends bearer tokens, logs its token
/// state without a token value, and holds jobs (never fails them) when the device must register again.
@Suite(.serialized)
struct DaemonTokenTests {
    @Test func withAStoredPairTheDaemonDeliversAndNeverLogsATokenValue() async throws {
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
            mode = "device-token"
            """)
        try storeTokenPair(spool: directory.path + "/spool")
        try daemon.start()
        try await daemon.waitUntilRunning()
        #expect(daemon.log.contains("bearer tokens on"))
        try drop(randomBytes(1000), named: "a.pdf", into: hot)
        _ = try await emulator.waitForDocuments(count: 1, timeout: .seconds(20))
        let status = try daemon.cli(["device", "status"])
        #expect(status.status == 0)
        daemon.stop()
        try await emulator.shutdown()
        for output in [daemon.log, status.output] {
            #expect(!output.contains("it-secret-42"), "a token value was printed")
            #expect(!output.contains("test-api-key"), "the API key was printed")
        }
    }

    @Test func aSpentMarkerAtStartHoldsEveryJobAndSaysWhatToRun() async throws {
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
            mode = "device-token"
            """)
        try storeTokenPair(spool: directory.path + "/spool", spendingSince: true, expired: true)
        try daemon.start()
        try await daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "held.pdf", into: hot)
        try await waitUntil("the job is queued") {
            let jobs = try daemon.cli(["jobs", "--json"])
            return jobs.output.contains("held.pdf")
        }
        #expect(daemon.log.contains("spoolbridge device register"))
        let status = try daemon.cli(["device", "status"])
        #expect(status.status == 1)
        #expect(status.output.contains("must register again") && status.output.contains("interrupted"))
        #expect(emulator.requestCount(path: "/api/v1/documents") == 0, "nothing is sent without a usable token")
        #expect(emulator.requestCount(path: "/oauth/v1/token") == 0, "the spent refresh token is never sent")
        let jobs = try daemon.cli(["jobs", "--json"])
        #expect(!jobs.output.contains("\"failed\""), "an auth problem fails no job")
        daemon.stop()
        try await emulator.shutdown()
        #expect(!daemon.log.contains("it-secret-42"))
    }
}

/// Writes `<spool>/auth/state.json` as `spoolbridge device register` would.
/// `expired`: the access token ran out an hour ago (so nothing can be sent with it).
func storeTokenPair(spool: String, spendingSince: Bool = false, expired: Bool = false) throws {
    let auth = spool + "/auth"
    try FileManager.default.createDirectory(atPath: auth, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    chmod(spool, 0o700)
    chmod(auth, 0o700)
    let now = Int64(Date().timeIntervalSince1970 * 1000) - (expired ? 7_200_000 : 0)
    let marker = spendingSince ? #", "spending_refresh_token_since": {"millisecondsSince1970": \#(now - 1000)}"# : ""
    try """
        {"version": 1, "device_id": "spoolbridge-it", "mode": "device-token", "registration_id": "r1",
         "tokens": {"access_token": "AT-it-secret-42", "refresh_token": "RT-it-secret-42",
                    "access_token_expires_at": {"millisecondsSince1970": \(now + 3_600_000)},
                    "received_at": {"millisecondsSince1970": \(now)}},
         "attempts": 0\(marker)}
        """.write(toFile: auth + "/state.json", atomically: true, encoding: .utf8)
    chmod(auth + "/state.json", 0o600)
}
