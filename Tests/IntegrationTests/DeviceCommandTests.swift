import EmulatorKit
import Foundation
import Testing

/// `spoolbridge device status|register` and `login` as an admin runs them: what they say, their exit
/// status, and that no secret (API key, password, token) appears in their output.
@Suite struct DeviceCommandTests {
    static let apiKey = "it-api-key-7f3a9c"

    private func setUp(cloud: String = "http://127.0.0.1:9") throws -> (TemporaryDirectory, config: String, spool: String) {
        let directory = try TemporaryDirectory()
        let spool = try directory.subdirectory("spool")
        chmod(spool, 0o700)
        try "\(Self.apiKey)\n".write(toFile: directory.path + "/key", atomically: true, encoding: .utf8)
        chmod(directory.path + "/key", 0o600)
        let config = directory.path + "/c.toml"
        try """
            [cloud]
            url = "\(cloud)"
            api_key_file = "\(directory.path)/key"
            [spool]
            directory = "\(spool)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        return (directory, config, spool)
    }

    @Test func anUnregisteredDeviceSaysWhatToRun() throws {
        let (directory, config, _) = try setUp()
        defer { directory.remove() }
        let text = try runCommand(Executables.path("spoolbridge"), ["device", "status", "--config", config])
        #expect(text.status == 1)
        #expect(text.output.contains("registered: no") && text.output.contains("spoolbridge device register"))
        let json = try runCommand(Executables.path("spoolbridge"), ["device", "status", "--json", "--config", config])
        #expect(json.status == 1)
        #expect(json.output.contains("\"registered\" : false"))
    }

    @Test func aRegisteredDeviceShowsItsTokenStateButNoToken() throws {
        let (directory, config, spool) = try setUp()
        defer { directory.remove() }
        let auth = spool + "/auth"
        #expect(mkdir(auth, 0o700) == 0)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try """
            {"version": 1, "device_id": "spoolbridge-test", "mode": "device-token", "registration_id": "r1",
             "tokens": {"access_token": "AT-secret-value-1", "refresh_token": "RT-secret-value-1",
                        "access_token_expires_at": {"millisecondsSince1970": \(now + 3_600_000)},
                        "received_at": {"millisecondsSince1970": \(now)}},
             "last_refresh_at": {"millisecondsSince1970": \(now)}, "attempts": 0}
            """.write(toFile: auth + "/state.json", atomically: true, encoding: .utf8)
        for arguments in [["device", "status"], ["device", "status", "--json"]] {
            let result = try runCommand(Executables.path("spoolbridge"), arguments + ["--config", config])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("spoolbridge-test"))
            #expect(!result.output.contains("secret-value"), "a token was printed")
        }
    }

    @Test func registeringWithoutATokenServiceFailsWithoutQuotingTheKey() async throws {
        let emulator = try await CloudEmulator.start()  // no /oauth/v1 yet: 404
        let (directory, config, spool) = try setUp(cloud: emulator.baseURL)
        defer { directory.remove() }
        let result = try await runCommandOffPool(Executables.path("spoolbridge"), ["device", "register", "--config", config])
        try await emulator.shutdown()
        #expect(result.status != 0)
        #expect(result.output.contains("refused the registration"), "\(result.output)")
        #expect(!result.output.contains(Self.apiKey))
        // The device id was generated and kept for the next attempt.
        #expect(FileManager.default.fileExists(atPath: spool + "/auth/state.json"))
    }

    @Test func aPasswordFileOthersCanReadIsRefused() throws {
        let (directory, config, _) = try setUp()
        defer { directory.remove() }
        let passwordFile = directory.path + "/pw"
        try "correct-horse-battery\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o644)
        let result = try runCommand(
            Executables.path("spoolbridge"), ["login", "--user", "alice", "--password-file", passwordFile, "--config", config])
        #expect(result.status == 1)
        #expect(result.output.contains("chmod 0600 \(passwordFile)"))
        #expect(!result.output.contains("correct-horse"))
    }

    @Test func loginTakesTheUserAndPasswordFileFromTheConfigurationAndSaysWhatIsMissing() throws {
        let (directory, config, _) = try setUp()
        defer { directory.remove() }
        let missing = try runCommand(Executables.path("spoolbridge"), ["login", "--config", config])
        #expect(missing.status != 0)
        #expect(missing.output.contains("--user NAME, or [auth] user"), "\(missing.output)")

        // [auth] names both; the token service is not there (port 9), so the login itself fails, after
        // the password was read and its file's mode warned about, without showing it.
        let passwordFile = directory.path + "/pw"
        try "correct-horse-battery\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o640)
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "\n[auth]\nmode = \"user-token\"\nuser = \"alice\"\npassword_file = \"\(passwordFile)\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runCommand(Executables.path("spoolbridge"), ["login", "--config", config])
        #expect(result.status != 0)
        #expect(result.output.contains("no answer to the login"), "\(result.output)")
        #expect(!result.output.contains("correct-horse"))
        #expect(!result.output.contains(Self.apiKey))
    }
}
