import EmulatorKit
import Foundation
import Testing

/// What the device-token tests share: an emulator with the token service, a daemon process (not
/// started) whose cloud is that emulator, and a hot folder. The daemon and the CLI find the token
/// service by themselves: for a plain-http loopback `cloud.url` the default `oauth_url` is the same
/// host and port with `/oauth/v1` (`DaemonConfiguration.Auth.defaultOAuthURL(forCloud:)`), which is where the
/// emulator serves it. `[auth] mode` switches tokens on (a stored pair alone does not); it is
/// `device-token` unless a test asks for another.
struct TokenSetup {
    let emulator: CloudEmulator
    let directory: TemporaryDirectory
    let daemon: DaemonProcess
    let hot: String

    init(
        _ configuration: CloudEmulator.Configuration, concurrency: Int = 4, authMode: String = "device-token",
        extraConfig: String = ""
    ) async throws {
        emulator = try await CloudEmulator.start(configuration)
        directory = try TemporaryDirectory()
        hot = try directory.subdirectory("hot")
        daemon = try DaemonProcess(
            in: directory, cloudURL: emulator.baseURL, apiKey: configuration.apiKey, concurrency: concurrency,
            extraConfig: """
                [[hotfolder]]
                path = "\(hot)"
                port = "Tokens"
                user = "dora"

                [auth]
                mode = "\(authMode)"

                \(extraConfig)
                """)
    }

    var stateFile: String { directory.path + "/spool/auth/state.json" }

    /// `spoolbridge device register`, which must succeed.
    @discardableResult
    func register(sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await daemon.cliOffPool(["device", "register"])
        #expect(result.status == 0, "device register failed: \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    /// The stored state file as JSON (the test reads the token values it must never see elsewhere).
    func storedState() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The stored access and refresh token, when a pair is stored.
    func storedTokens() -> (access: String, refresh: String)? {
        guard let tokens = (try? storedState())?["tokens"] as? [String: Any],
            let access = tokens["access_token"] as? String, let refresh = tokens["refresh_token"] as? String
        else { return nil }
        return (access, refresh)
    }

    /// `device status --json`, parsed, with its exit status.
    func deviceStatus() throws -> (status: Int32, json: [String: Any]) {
        let result = try daemon.cli(["device", "status", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return (result.status, try #require(object, "device status --json printed: \(result.output)"))
    }

    /// `jobs --json`, parsed.
    func jobs() throws -> [[String: Any]] {
        let result = try daemon.cli(["jobs", "--json", "--limit", "1000"])
        let rows = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]
        return try #require(rows, "jobs --json printed: \(result.output)")
    }

    /// How many documents arrived per title.
    func arrivals() -> [String: Int] {
        emulator.documents().reduce(into: [:]) { $0[$1.title, default: 0] += 1 }
    }

    func finish(checkSecrets: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        daemon.stop(checkSecrets: checkSecrets, sourceLocation: sourceLocation)
        try await emulator.shutdown()
        directory.remove()
    }
}
