import ArgumentParser
import Config
import Daemon
import Logging
import SystemIntegration

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon in the foreground (systemd: Type=notify).",
        discussion: """
            Recovers the outbox after any unclean stop, then watches the hot folders, listens for the CUPS \
            backend and delivers queued jobs until SIGTERM or SIGINT. Logs go to the journal when started \
            by systemd, to stderr otherwise. The API key is read from $CREDENTIALS_DIRECTORY/api-key, \
            cloud.api_key_file or $SPOOLBRIDGE_API_KEY; never pass it on the command line.
            """)

    @OptionGroup var options: ConfigOption

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: [log] level).")
    var logLevel: Logger.Level?

    func run() async throws {
        let configuration: DaemonConfiguration
        do {
            configuration = try options.load()
        } catch {
            Self.fail(error)
        }
        LogBootstrap.bootstrap(level: logLevel ?? Logger.Level(rawValue: configuration.logLevel) ?? .info)
        let logger = Logger(label: "spoolbridge")
        do {
            try await SpoolbridgeDaemon.run(configuration: configuration, configFile: options.config, logger: logger)
        } catch {
            logger.critical("spoolbridge cannot run: \(error)")
            Self.fail(CLIError("\(error)"))
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
