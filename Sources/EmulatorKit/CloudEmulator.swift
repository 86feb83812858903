import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A strict loopback stand-in for the cloud's `/api/v1/version` and `PUT /api/v1/documents`,
/// with fault injection and a record of every accepted upload.
public final class CloudEmulator: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; read the chosen one from `CloudEmulator.port`.
        public var port: Int
        public var apiKey: String
        /// Largest data part accepted; larger answers 413. Default 200 MiB.
        public var maxDocumentBytes: Int

        // The token service (`/oauth/v1`) and bearer tokens; see TokenAuthority.swift.

        /// Every `/api/v1` call but `/login` needs `Authorization: Bearer <live access token>`
        /// beside `X-Api-Key`, else 401 (an API key with "allow untrusted endpoints" off).
        public var requireBearer: Bool
        /// `/login` needs a bearer (device) token too, as the reference's Login section says of such keys.
        public var loginRequiresBearer: Bool
        /// Access token lifetime (`expires_in`, rounded up to whole seconds). Refresh tokens never expire.
        public var accessTokenLifetime: Duration
        /// How long a device code from `/oauth/v1/register` can be exchanged (`expires_in` of the registration).
        public var deviceCodeLifetime: Duration
        /// `authorization_pending` answers each device code gets before its tokens.
        public var pendingAuthorizations: Int
        /// Device codes stay pending until `approveDevices` (or `POST /_emulator/oauth/approve`), whatever
        /// `pendingAuthorizations` says.
        public var manualApproval: Bool
        /// `/login` accounts: user id → password.
        public var users: [String: String]

        public init(
            host: String = "127.0.0.1", port: Int = 0, apiKey: String = "test-api-key",
            maxDocumentBytes: Int = 200 * 1024 * 1024, requireBearer: Bool = false, loginRequiresBearer: Bool = false,
            accessTokenLifetime: Duration = .seconds(3600), deviceCodeLifetime: Duration = .seconds(259_200),
            pendingAuthorizations: Int = 0, manualApproval: Bool = false, users: [String: String] = [:]
        ) {
            self.host = host
            self.port = port
            self.apiKey = apiKey
            self.maxDocumentBytes = maxDocumentBytes
            self.requireBearer = requireBearer
            self.loginRequiresBearer = loginRequiresBearer
            self.accessTokenLifetime = accessTokenLifetime
            self.deviceCodeLifetime = deviceCodeLifetime
            self.pendingAuthorizations = pendingAuthorizations
            self.manualApproval = manualApproval
            self.users = users
        }

        var tokenPolicy: TokenPolicy {
            TokenPolicy(
                requireBearer: requireBearer, loginRequiresBearer: loginRequiresBearer,
                accessTokenLifetime: accessTokenLifetime, deviceCodeLifetime: deviceCodeLifetime,
                pendingAuthorizations: max(0, pendingAuthorizations), manualApproval: manualApproval, users: users)
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let state: EmulatorState
    let tokens: TokenAuthority
    public let port: Int
    /// `http://HOST:PORT`, without `/api/v1`.
    public let baseURL: String
    /// The token service on the same listener: `http://HOST:PORT/oauth/v1` (an `oauth_url`).
    public var oauthURL: String { baseURL + OAuthEndpoints.base }

    private init(
        group: MultiThreadedEventLoopGroup, serverChannel: any Channel, state: EmulatorState, tokens: TokenAuthority,
        host: String, port: Int
    ) {
        self.group = group
        self.serverChannel = serverChannel
        self.state = state
        self.tokens = tokens
        self.port = port
        self.baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    public static func start(_ configuration: Configuration = .init()) async throws -> CloudEmulator {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let state = EmulatorState()
        let tokens = TokenAuthority(policy: configuration.tokenPolicy)
        let settings = EmulatorSettings(
            apiKey: configuration.apiKey, maxDocumentBytes: configuration.maxDocumentBytes, tokens: tokens)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // IPPROTO_TCP: .socketOption would set SO_DEBUG, refused to non-root users
            // Large reads let a 200 MB upload stream in few, big pieces.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 1024 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(EmulatorHTTPHandler(state: state, settings: settings))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw EmulatorError(
                code: "emulator.bind",
                message: "cannot listen on \(configuration.host):\(configuration.port): \(error); "
                    + "choose a free port (0 picks one) and a local address")
        }
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw EmulatorError(code: "emulator.bind", message: "listening on \(configuration.host) but the socket reports no port")
        }
        return CloudEmulator(
            group: group, serverChannel: channel, state: state, tokens: tokens, host: configuration.host, port: port)
    }

    /// Every accepted upload, in arrival order.
    public func documents() -> [ReceivedDocument] {
        state.allDocuments()
    }

    /// Every accepted `POST /documents/history`, in arrival order.
    public func records() -> [ReceivedRecord] {
        state.allRecords()
    }

    /// Every accepted release to an output port, in arrival order.
    public func releases() -> [ReceivedRelease] {
        state.allReleases()
    }

    /// Every accepted `/card` call, in arrival order.
    public func cardSwipes() -> [ReceivedCardSwipe] {
        state.allCardSwipes()
    }

    /// Cloud API requests seen whose path starts with `path`, rejected ones included.
    public func requestCount(path: String) -> Int {
        state.requestCount(pathPrefix: path)
    }

    /// Documents, requests and rejections so far (the same as `GET /_emulator/stats`).
    public func stats() -> EmulatorStats {
        state.stats()
    }

    /// All documents once at least `count` were accepted; throws `EmulatorError` (`emulator.timeout`) at the deadline.
    public func waitForDocuments(count: Int, timeout: Duration) async throws -> [ReceivedDocument] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let documents = state.allDocuments()
            if documents.count >= count { return documents }
            if clock.now >= deadline {
                throw EmulatorError.timeout(waitingFor: count, have: documents.count, after: timeout)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next `count` upload requests get `fault`; faults queue in FIFO order.
    public func inject(_ fault: Fault, count: Int = 1) {
        state.inject(fault, count: count, target: .uploads)
    }

    /// The next `count` requests of `target` get `fault`; each target queues in FIFO order.
    public func inject(_ fault: Fault, count: Int = 1, into target: FaultTarget) {
        state.inject(fault, count: count, target: target)
    }

    /// Drops the faults still queued and closes the connections `Fault.hang` holds.
    /// Documents and counters stay.
    public func clearFaults() {
        state.clearFaults()
    }

    /// Forgets documents, queued faults and request counts, and closes held connections.
    public func reset() {
        state.reset()
    }

    /// Returns when the listening socket closed (after `shutdown()`).
    public func waitUntilClosed() async throws {
        try await serverChannel.closeFuture.get()
    }

    /// Stops listening, closes open connections and stops the event loop threads.
    /// Calling it again does nothing.
    public func shutdown() async throws {
        guard state.beginShutdown() else { return }
        do {
            try await serverChannel.close()
        } catch ChannelError.alreadyClosed {
            // Already stopped.
        }
        try await group.shutdownGracefully()
    }
}
