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

        public init(
            host: String = "127.0.0.1", port: Int = 0, apiKey: String = "test-api-key",
            maxDocumentBytes: Int = 200 * 1024 * 1024
        ) {
            self.host = host
            self.port = port
            self.apiKey = apiKey
            self.maxDocumentBytes = maxDocumentBytes
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let state: EmulatorState
    public let port: Int
    /// `http://HOST:PORT`, without `/api/v1`.
    public let baseURL: String

    private init(group: MultiThreadedEventLoopGroup, serverChannel: any Channel, state: EmulatorState, host: String, port: Int) {
        self.group = group
        self.serverChannel = serverChannel
        self.state = state
        self.port = port
        self.baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    public static func start(_ configuration: Configuration = .init()) async throws -> CloudEmulator {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let state = EmulatorState()
        let settings = EmulatorSettings(apiKey: configuration.apiKey, maxDocumentBytes: configuration.maxDocumentBytes)
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
        return CloudEmulator(group: group, serverChannel: channel, state: state, host: configuration.host, port: port)
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
        state.inject(fault, count: count)
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
