import SpoolbridgeCore

/// Everything `spoolbridge.toml` says, validated. Each key is documented in Docs/configuration.md.
public struct DaemonConfiguration: Sendable, Hashable {
    public struct Cloud: Sendable, Hashable {
        /// Base URL; the client appends /api/v1/…
        public var url: String
        public var apiKeyFile: String?
        public var caFile: String?
        public var allowInsecureHTTP: Bool
    }

    public struct Spool: Sendable, Hashable {
        public var directory: String
        public var maxDocumentBytes: Int64
        public var minFreeBytes: Int64
        /// `spool.keep_finished_days`: delivered and cancelled jobs older than this are forgotten;
        /// nil (0 in the file) keeps them for ever.
        public var keepFinishedDays: Int?
        /// True when the file does not set `directory` (see `SpoolDirectoryDefault`).
        public var directoryIsDefault = false

        /// How long a finished job's row is kept, in seconds; nil keeps it for ever.
        public var keepFinishedSeconds: Double? { keepFinishedDays.map { Double($0) * 86_400 } }
    }

    public struct Delivery: Sendable, Hashable {
        public var concurrency: Int
        public var maxAgeHours: Double?
        public var retryBaseSeconds: Double
        public var retryMaxSeconds: Double
        /// `stall_seconds`: how long an upload may go without a byte moving (sending, awaiting or
        /// reading the answer) before it is abandoned as a transient failure. Not a total limit.
        public var stallSeconds: Double
    }

    public struct Cups: Sendable, Hashable {
        public var socketPath: String
        /// Whether the daemon listens for the CUPS backend at all (`[cups] enabled`).
        public var enabled: Bool
        /// Whether the file has a `[cups]` section: then a socket that cannot be set up stops the
        /// daemon; without one, the listener is an extra that runs where it can (see `listenPolicy`).
        public var isExplicit: Bool
        public var stripDomain: Bool
        public var stripRealm: Bool
        public var lowercase: Bool
    }

    /// `[http]`: the health and metrics endpoint, off unless `listen` is set.
    public struct HTTP: Sendable, Hashable {
        public var listen: HTTPListenAddress?
        /// `allow_remote`: a `listen` address other than loopback was meant.
        public var allowRemote: Bool
        /// `unhealthy_after_seconds`: how long the cloud may be unreachable before /healthz says 503.
        public var unhealthyAfterSeconds: Double

        public init(listen: HTTPListenAddress? = nil, allowRemote: Bool = false, unhealthyAfterSeconds: Double = 300) {
            self.listen = listen
            self.allowRemote = allowRemote
            self.unhealthyAfterSeconds = unhealthyAfterSeconds
        }
    }

    public var cloud: Cloud
    public var spool: Spool
    /// `[auth]`: api-key (the default), device-token or user-token (AuthConfiguration.swift).
    public var auth: Auth
    public var delivery: Delivery
    public var cups: Cups
    public var hotFolders: [HotFolderSettings]
    public var http: HTTP = HTTP()
    /// `[card_reader]`: off unless `listen` is set.
    public var cardReader: CardReaderSettings?
    /// `[log] level`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String

    public var retryPolicy: RetryPolicy {
        RetryPolicy(
            baseDelaySeconds: delivery.retryBaseSeconds, maxDelaySeconds: delivery.retryMaxSeconds,
            maxAgeSeconds: delivery.maxAgeHours.map { $0 * 3600 })
    }

    public static let defaultPath = "/etc/spoolbridge/spoolbridge.toml"
}
