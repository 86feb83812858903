import ArgumentParser
import CloudAPI
import Config
import Daemon
import DeviceAuth
import Foundation
import SpoolbridgeCore

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and the API key, and check that the cloud answers.",
        discussion: """
            Exits 0 when the daemon would start. Errors name the file, the key and (where the TOML parser \
            knows it) the line. Exits 78 when the configuration is refused or something it names (a hot \
            folder, the CUPS socket's directory) would stop the daemon, 69 when only the cloud does not \
            answer. The cloud check calls GET /api/v1/version with the configured API key (and the stored \
            access token, if one is valid; it is never refreshed here); use --offline to skip it.
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Do not contact the cloud.")
    var offline = false

    func run() async throws {
        do {
            let configuration = try options.load()
            print("configuration: \(options.config): ok")
            let key: APIKeySource.Loaded
            do {
                key = try APIKeySource.load(configuration.cloud, configFile: options.config)
            } catch {
                throw CLIError("\(error)", exitCode: 78)  // EX_CONFIG
            }
            print("api key: read from \(key.origin)")
            for warning in key.warnings { print("warning: \(warning)") }
            print("spool: \(configuration.spool.directory)\(configuration.spool.directoryIsDefault ? " ([spool] directory is not set: the default for this user)" : "")")
            var report = StartupReport()
            for folder in configuration.hotFolders {
                report.check(hotFolder: folder.path, port: folder.port)
            }
            report.check(cups: configuration.cups)
            var cloudFailure: CLIError?
            if !offline {
                cloudFailure = await checkCloud(configuration, key: key)
            }
            if !report.problems.isEmpty {
                let count = report.problems.count
                throw CLIError("\(count) problem\(count == 1 ? "" : "s") above will stop the daemon: \(report.problems.joined(separator: "; "))", exitCode: 78)
            }
            if let cloudFailure { throw cloudFailure }
        } catch {
            Self.fail(error)
        }
    }

    /// Prints whether the cloud answers; returns the failure to exit with, if it does not.
    private func checkCloud(_ configuration: DaemonConfiguration, key: APIKeySource.Loaded) async -> CLIError? {
        let client: CloudClient
        let stored = StoredAccessToken.load(configuration)
        do {
            client = try CloudClient(configuration: .init(
                baseURL: configuration.cloud.url, apiKey: key.key, caFile: configuration.cloud.caFile,
                allowInsecureHTTP: configuration.cloud.allowInsecureHTTP, maxConnections: 1,
                connectTimeout: .seconds(10), stallTimeout: .seconds(configuration.delivery.stallSeconds)),
                tokenSource: stored.current)
        } catch {
            return CLIError("cloud \(configuration.cloud.url): \(error)", exitCode: 78)
        }
        do {
            let version = try await client.version()
            print("cloud \(configuration.cloud.url): answers (server version \(version.version ?? "unknown"))")
            try? await client.shutdown()
            return nil
        } catch where error.httpStatus == 401 && stored.current == nil {
            try? await client.shutdown()
            // The tenant wants a bearer token beside the API key (untrusted endpoints off).
            if stored.pairStored {
                print("cloud \(configuration.cloud.url): answers; it requires a bearer token and the stored one has expired (the daemon refreshes it)")
                return nil
            }
            let fix = "this tenant requires a bearer token: run `spoolbridge device register` "
                + "(or `spoolbridge login` for user tokens; Docs/authentication.md)"
            print("cloud \(configuration.cloud.url): answers, but refuses the API key alone (HTTP 401): \(fix)")
            return CLIError("cloud \(configuration.cloud.url): \(fix)", exitCode: 69)
        } catch {
            try? await client.shutdown()
            print("cloud \(configuration.cloud.url): DOES NOT ANSWER: \(error)")
            return CLIError("cloud \(configuration.cloud.url): \(error)", exitCode: 69)  // EX_UNAVAILABLE
        }
    }
}

/// The access token stored by `device register` or the daemon, used read-only: check-config never
/// refreshes (the refresh token is the daemon's to spend), so an expired token is not used.
struct StoredAccessToken: BearerTokenSource {
    let token: Secret

    func currentAccessToken() async -> BearerTokenAnswer { .token(token) }
    func accessTokenWasRejected(_ token: Secret) async -> Bool { false }

    /// `current`: a usable, unexpired stored token; `pairStored`: a usable pair at all.
    static func load(_ configuration: DaemonConfiguration) -> (current: StoredAccessToken?, pairStored: Bool) {
        let directory = AuthSettings.configuration(for: configuration).stateDirectory
        guard let state = try? TokenStore(directory: directory).load(), state.hasUsableTokens, let tokens = state.tokens else {
            return (nil, false)
        }
        let now = Timestamp(secondsSince1970: Date().timeIntervalSince1970)
        return (now < tokens.accessTokenExpiresAt ? StoredAccessToken(token: tokens.accessToken) : nil, true)
    }
}
