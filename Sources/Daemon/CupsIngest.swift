import Config
import Logging
import Outbox
import ServiceLifecycle

/// The CUPS backend's socket listener, when `[cups]` is enabled.
enum CupsIngest {
    static func services(configuration: DaemonConfiguration, outbox: Outbox, logger: Logger) -> [any Service] {
        []
    }
}
