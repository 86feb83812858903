import Config
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Serves `GET /healthz` and `GET /metrics` on `[http] listen`, on the process's shared NIO event loop
/// group (the one the cloud client uses). One request per connection (`Connection: close`); a client
/// that sends nothing for 10 s is disconnected. The answers come from `endpoints`, which run off the
/// event loop (they read the outbox).
public struct OpsHTTPServer: Service {
    public struct Endpoints: Sendable {
        public var health: @Sendable () async -> HealthDocument
        public var metrics: @Sendable () async -> [UInt8]

        public init(health: @escaping @Sendable () async -> HealthDocument, metrics: @escaping @Sendable () async -> [UInt8]) {
            self.health = health
            self.metrics = metrics
        }
    }

    let address: HTTPListenAddress
    let endpoints: Endpoints
    let logger: Logger
    /// Told the bound address once the socket listens (the daemon's READY waits for it).
    let bound: @Sendable (SocketAddress) -> Void

    public init(address: HTTPListenAddress, endpoints: Endpoints, logger: Logger, bound: @escaping @Sendable (SocketAddress) -> Void = { _ in }) {
        self.address = address
        self.endpoints = endpoints
        self.logger = logger
        self.bound = bound
    }

    public func run() async throws {
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 32)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.bindHost, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(10)))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw OpsHTTPError("cannot serve health and metrics on \(address) ([http] listen): \(error)")
        }
        if let local = server.channel.localAddress {
            bound(local)
        }
        let endpoints = self.endpoints
        let logger = self.logger
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                try? await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await Self.serve(connection, endpoints: endpoints, logger: logger) }
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Reads one request, answers it, closes.
    static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, endpoints: Endpoints, logger: Logger
    ) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead): head = requestHead
                    case .body: continue
                    case .end:
                        guard let head else { return }
                        let response = await answer(head, endpoints: endpoints)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: response.contentType)
                        headers.add(name: "Content-Length", value: String(response.body.count))
                        headers.add(name: "Cache-Control", value: "no-store")
                        headers.add(name: "Connection", value: "close")
                        try await outbound.write(.head(HTTPResponseHead(
                            version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                        if head.method != .HEAD {
                            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                        }
                        try await outbound.write(.end(nil))
                        return
                    }
                }
            }
        } catch {
            logger.debug("health/metrics connection ended with an error", metadata: ["error": "\(error)"])
        }
    }

    static func answer(_ head: HTTPRequestHead, endpoints: Endpoints) async -> OpsResponse {
        switch OpsRoute.route(method: head.method.rawValue, uri: head.uri) {
        case .health:
            let document = await endpoints.health()
            return OpsResponse(status: document.httpStatus, contentType: "application/json", body: Array(document.json().utf8))
        case .metrics:
            return OpsResponse(status: 200, contentType: OpsResponse.prometheusContentType, body: await endpoints.metrics())
        case .notFound:
            return .text(404, "not found: spoolbridge serves /healthz and /metrics\n")
        case .methodNotAllowed:
            return .text(405, "method not allowed: use GET\n")
        }
    }
}

/// Closes a connection that has sent nothing for the `IdleStateHandler`'s read timeout.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

public struct OpsHTTPError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
