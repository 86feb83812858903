import ArgumentParser
import CloudAPI
import Config
import Foundation

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and the API key, and check that the cloud answers.",
        discussion: """
            Exits 0 when the daemon would start. Errors name the file, the key and (where the TOML parser \
            knows it) the line. The cloud check calls GET /api/v1/version with the configured API key; \
            use --offline to skip it.
            """)

    @OptionGroup var options: ConfigOption

    @Flag(help: "Do not contact the cloud.")
    var offline = false

    func run() async throws {
        do {
            let configuration = try options.load()
            print("configuration: \(options.config): ok")
            let key = try APIKeySource.load(configuration.cloud, configFile: options.config)
            print("api key: read from \(key.origin)")
            for warning in key.warnings { print("warning: \(warning)") }
            for folder in configuration.hotFolders {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory)
                print("hot folder \(folder.path) -> port \(folder.port): \(exists && isDirectory.boolValue ? "ok" : "MISSING (create it, or the daemon will refuse to start)")")
            }
            if offline { return }
            let client = try CloudClient(configuration: .init(
                baseURL: configuration.cloud.url, apiKey: key.key, caFile: configuration.cloud.caFile,
                allowInsecureHTTP: configuration.cloud.allowInsecureHTTP, maxConnections: 1,
                connectTimeout: .seconds(10), stallTimeout: .seconds(configuration.delivery.stallSeconds)))
            do {
                let version = try await client.version()
                print("cloud \(configuration.cloud.url): answers (server version \(version.version ?? "unknown"))")
                try? await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw CLIError("cloud \(configuration.cloud.url): \(error)", exitCode: 69)  // EX_UNAVAILABLE
            }
        } catch {
            Self.fail(error)
        }
    }
}
