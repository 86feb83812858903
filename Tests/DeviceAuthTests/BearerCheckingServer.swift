import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Plain HTTP on 127.0.0.1 answering `GET /api/v1/version` with 200 only for `Authorization: Bearer
/// <accepted>`, 401 otherwise; records every bearer token it was shown.
final class BearerCheckingServer: Sendable {
    private let channel: any Channel
    let port: Int
    private let state: Mutex<(accepted: String, seen: [String])>

    private init(channel: any Channel, port: Int, accepting token: String) {
        self.channel = channel
        self.port = port
        self.state = Mutex((token, []))
    }

    static func start(accepting token: String) async throws -> BearerCheckingServer {
        let box = Mutex<BearerCheckingServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler { box.withLock { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = BearerCheckingServer(channel: channel, port: channel.localAddress?.port ?? 0, accepting: token)
        box.withLock { $0 = server }
        return server
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var seen: [String] { state.withLock { $0.seen } }

    func shutdown() async throws { try await channel.close() }

    fileprivate func check(_ authorization: String?) -> Bool {
        state.withLock { state in
            let token = authorization.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
            state.seen.append(token)
            return token == state.accepted
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: @Sendable () -> BearerCheckingServer?
        var authorization: String?

        init(server: @escaping @Sendable () -> BearerCheckingServer?) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): authorization = head.headers.first(name: "Authorization")
            case .body: break
            case .end:
                let ok = server()?.check(authorization) ?? false
                let body = ByteBuffer(string: ok ? #"{"version":"bearer-test"}"# : #"{"message":"invalid token"}"#)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.readableBytes))
                let head = HTTPResponseHead(version: .http1_1, status: ok ? .ok : .unauthorized, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
