import EmulatorKit
import Foundation
import Testing

/// Distinctive secrets through every path of issue 9 (login, registration, refreshes, a 401, a
/// revoked grant, a failed job), then every log line, CLI output and error note searched for them.
@Suite(.serialized)
struct SecretLeakTests {
    @Test func noSecretAppearsInAnyLogLineCLIOutputOrErrorNote() async throws {
        let apiKey = "sbkey-" + UUID().uuidString
        let password = "sbpass-" + UUID().uuidString
        let wrongPassword = "sbwrong-" + UUID().uuidString
        let setup = try await TokenSetup(.init(
            apiKey: apiKey, requireBearer: true, accessTokenLifetime: .seconds(2), users: ["carol": password]),
            authMode: "user-token")  // starts on user tokens; the device registration later replaces the pair
        let daemon = setup.daemon
        daemon.secrets += [password, wrongPassword]
        var tokens: Set<String> = []
        func collectTokens() {
            if let pair = setup.storedTokens() { tokens.formUnion([pair.access, pair.refresh]) }
        }

        // A tenant that requires bearer tokens refuses the API key alone: check-config says what to run.
        let unregistered = try daemon.cli(["check-config"])
        #expect(unregistered.status == 69 && unregistered.output.contains("run `spoolbridge login"), "\(unregistered.output)")
        let wrongFile = try writeSecretFile(wrongPassword, named: "wrong-password", in: setup.directory)
        let refused = try await daemon.cliOffPool(["login", "--user", "carol", "--password-file", wrongFile])
        #expect(refused.status != 0, "\(refused.output)")
        let passwordFile = try writeSecretFile(password, named: "password", in: setup.directory)
        let login = try await daemon.cliOffPool(["login", "--user", "carol", "--password-file", passwordFile])
        #expect(login.status == 0, "\(login.output)")
        collectTokens()

        // User tokens: delivered with refreshes (client_id api).
        try daemon.start()
        try await daemon.waitUntilRunning()
        try drop(randomBytes(1000), named: "user-0.pdf", into: setup.hot)
        try await waitUntil("delivered with the user token") { setup.arrivals().count == 1 }
        _ = try await setup.emulator.waitForTokenStats(timeout: .seconds(10)) { $0.refreshes >= 1 }
        collectTokens()

        // Device tokens, adopted by the running daemon; a 401 and its refresh; a job that fails.
        try await setup.register()
        collectTokens()
        let registered = try daemon.cli(["check-config"])  // with the stored access token
        #expect(registered.status == 0, "\(registered.output)")
        _ = try await setup.emulator.waitForTokenStats(timeout: .seconds(10)) { $0.refreshes >= 2 }
        setup.emulator.expireAccessTokens()
        try drop(randomBytes(1000), named: "device-0.pdf", into: setup.hot)
        try await waitUntil("delivered after the 401") { setup.arrivals().count == 2 }
        collectTokens()
        setup.emulator.inject(.status(422, message: "unsupported document"), into: .uploads)
        try drop(randomBytes(1000), named: "refused.pdf", into: setup.hot)
        try await waitUntil("the refused file failed with a note") {
            !SecretScan.errorNotes(below: setup.directory.path).isEmpty
        }
        collectTokens()

        // The grant revoked: invalid_grant, jobs held, every status command run.
        setup.emulator.revokeTokens()
        try drop(randomBytes(1000), named: "held.pdf", into: setup.hot)
        try await waitUntil("the daemon asks for a registration", timeout: .seconds(10)) {
            daemon.log.contains("the device must be registered again")
        }
        for command in [
            ["status"], ["status", "--json"], ["jobs"], ["jobs", "--json"], ["device", "status"],
            ["device", "status", "--json"], ["check-config"],
        ] {
            _ = try daemon.cli(command)
        }
        collectTokens()

        // The scan is not vacuous: it knows real tokens and reads a real error note and real outputs.
        #expect(tokens.count >= 6, "tokens seen in the state file: \(tokens.count)")
        #expect(tokens.allSatisfy { $0.hasPrefix("emu-at-") || $0.hasPrefix("emu-rt-") })
        #expect(daemon.transcript.count >= 12)
        let texts = daemon.writtenTexts()
        #expect(texts.contains { $0.name.hasSuffix(".error.txt") })
        let secrets = daemon.secrets + Array(tokens)
        #expect(secrets.contains(apiKey))
        let leaks = SecretScan.leaks(of: secrets, in: texts)
        #expect(leaks.isEmpty, "\(leaks)")
        // …and would find one: the state file itself holds the current pair.
        let state = try String(contentsOfFile: setup.stateFile, encoding: .utf8)
        #expect(!SecretScan.leaks(of: Array(tokens), in: [("state.json", state)]).isEmpty)
        try await setup.finish()  // scans again at stop: the log's last lines included
    }

    private func writeSecretFile(_ value: String, named name: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path + "/" + name
        try (value + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }
}
