import ArgumentParser
import CloudAPI
import Config
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
            answer. The cloud check calls GET /api/v1/version with the configured API key (in a token mode also \
            with the stored access token, which it never refreshes); use --offline to skip it.
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
            try checkAuth(configuration.auth)
            print("spool: \(configuration.spool.directory)\(configuration.spool.directoryIsDefault ? " ([spool] directory is not set: the default for this user)" : "")")
            var report = StartupReport()
            for folder in configuration.hotFolders {
                switch folder.intake {
                case .documents:
                    report.check(folder: "hot folder \(folder.path) -> port \(folder.port)", path: folder.path, section: "[[hotfolder]]")
                case .records:
                    report.check(folder: "records folder \(folder.path)", path: folder.path, section: "[[records]]")
                }
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

    /// The effective `[auth]` (never a secret), and the password file's mode in user-token mode.
    private func checkAuth(_ auth: DaemonConfiguration.Auth) throws {
        for line in auth.summary { print(line) }
        guard auth.mode == .userToken else { return }
        do {
            for warning in try PasswordSource.load(auth, configFile: options.config)?.warnings ?? [] {
                print("warning: \(warning)")
            }
        } catch {
            throw CLIError("\(error)", exitCode: 78)  // EX_CONFIG
        }
    }

    /// What `check-config` probes with in a token mode: the stored access token, read-only.
    private struct StoredProbe {
        var token: Secret?
        /// A usable pair is stored, but its access token expired: the daemon refreshes it at start.
        var expired = false
    }

    /// In a token mode: the stored access token to probe with, read-only. Says what to run when there is
    /// none, and skips one that expired (the daemon refreshes it at start; a probe would only be refused).
    private func storedToken(_ configuration: DaemonConfiguration) -> StoredProbe {
        guard let mode = DeviceAuth.Mode(configuration.auth.mode) else { return StoredProbe() }
        let stored: AuthState?
        do {
            stored = try TokenStore(directory: configuration.auth.stateDirectory).load()
        } catch {
            print("warning: auth state: \(error.description); probing with the API key alone")
            return StoredProbe()
        }
        let status = RefreshStatus(stored: stored, expectedMode: mode)
        guard let stored, stored.hasUsableTokens, let tokens = stored.tokens, status.state != .needsRegistration else {
            print("warning: auth: \(status.summary): the daemon starts but holds every job until you "
                + "\(status.remedy ?? "run `spoolbridge device register`"); probing with the API key alone")
            return StoredProbe()
        }
        if tokens.accessTokenExpiresAt.secondsSince1970 <= Date().timeIntervalSince1970 {
            print("auth: the stored access token expired at \(Formatting.time(tokens.accessTokenExpiresAt)); the daemon "
                + "refreshes it when it starts; probing with the API key alone")
            return StoredProbe(expired: true)
        }
        return StoredProbe(token: tokens.accessToken)
    }

    /// Prints whether the cloud answers; returns the failure to exit with, if it does not.
    private func checkCloud(_ configuration: DaemonConfiguration, key: APIKeySource.Loaded) async -> CLIError? {
        let probe = storedToken(configuration)
        let token = probe.token
        let cloud = configuration.cloud.url
        let client: CloudClient
        do {
            client = try CloudClient(
                configuration: .init(
                    baseURL: cloud, apiKey: key.key, caFile: configuration.cloud.caFile,
                    allowInsecureHTTP: configuration.cloud.allowInsecureHTTP, maxConnections: 1,
                    connectTimeout: .seconds(10), stallTimeout: .seconds(configuration.delivery.stallSeconds)),
                tokenSource: token.map(StoredTokenSource.init))
        } catch {
            return CLIError("cloud \(cloud): \(error)", exitCode: 78)
        }
        do {
            let version = try await client.version()
            print("cloud \(cloud): answers\(token == nil ? "" : " and accepts the stored access token") (server version \(version.version ?? "unknown"))")
            try? await client.shutdown()
            return nil
        } catch where error.httpStatus == 401 && token != nil {
            try? await client.shutdown()
            // The daemon would refresh once on this answer; a CLI never spends a refresh token.
            print("warning: the cloud answers but refuses the stored access token (\(error.message)); the daemon refreshes it "
                + "once when that happens: if `spoolbridge device status` then says so, register again")
            return nil
        } catch where error.httpStatus == 401 && probe.expired {
            try? await client.shutdown()
            print("cloud \(cloud): answers; it requires a bearer token and the stored one has expired (the daemon refreshes it)")
            return nil
        } catch where error.httpStatus == 401 {
            try? await client.shutdown()
            // The tenant wants a bearer token beside the API key (untrusted endpoints off), and none is stored.
            let fix = switch configuration.auth.mode {
            case .deviceToken: "this tenant requires a bearer token: run `spoolbridge device register` (Docs/authentication.md)"
            case .userToken:
                "this tenant requires a bearer token: run `spoolbridge login --user USER --password-file FILE` (Docs/authentication.md)"
            case .apiKey:
                "this tenant requires a bearer token: set [auth] mode = \"device-token\" and run `spoolbridge device register` "
                    + "(or mode = \"user-token\" and `spoolbridge login`; Docs/authentication.md)"
            }
            print("cloud \(cloud): answers, but refuses the API key alone (HTTP 401): \(fix)")
            return CLIError("cloud \(cloud): \(fix)", exitCode: 69)  // EX_UNAVAILABLE
        } catch {
            try? await client.shutdown()
            print("cloud \(cloud): DOES NOT ANSWER: \(error)")
            return CLIError("cloud \(cloud): \(error)", exitCode: 69)  // EX_UNAVAILABLE
        }
    }
}

/// The stored access token, as is: `check-config` never refreshes (that would spend a refresh token
/// the daemon owns), so a refused token is simply reported.
private struct StoredTokenSource: BearerTokenSource {
    let token: Secret

    func currentAccessToken() async -> BearerTokenAnswer { .token(token) }
    func accessTokenWasRejected(_ token: Secret) async -> Bool { false }
}
