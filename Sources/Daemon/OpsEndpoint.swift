import Config
import Ingest
import Logging
import Metrics
import Observability
import ServiceLifecycle
import SpoolbridgeCore

/// The health and metrics endpoint, when `[http] listen` is set.
enum OpsEndpoint {
    static func services(configuration: DaemonConfiguration, health: HealthState, logger: Logger)
        -> [@Sendable (StartupBarrier) -> any Service]
    {
        Gauge(label: MetricName.cloudUp).record(1)
        guard let address = configuration.http.listen else { return [] }
        if !address.isLoopback {
            logger.warning("the health and metrics endpoint is reachable from other machines (http.allow_remote = true); it asks for no password",
                           metadata: ["address": "\(address)"])
        }
        let endpoints = OpsHTTPServer.Endpoints(health: { await health.health() }, metrics: { await health.metrics() })
        let httpLogger = logger.with(label: "http")
        return [{ started in
            OpsHTTPServer(address: address, endpoints: endpoints, logger: httpLogger) { bound in
                httpLogger.info("serving /healthz and /metrics", metadata: ["address": "\(bound.ipAddress ?? address.host):\(bound.port ?? address.port)"])
                started.arrive()
            }
        }]
    }
}
