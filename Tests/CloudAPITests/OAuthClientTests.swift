import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SpoolbridgeCore
import Synchronization
import Testing

@testable import CloudAPI

/// `OAuthClient` over real loopback HTTP against a scripted server: what it sends and how it reads
/// the answers. (The emulator's OAuth endpoints come with issue 9's emulator work.)
@Suite(.serialized)
struct OAuthClientTests {
    static let apiKey = "api-key-0123456789"

    private func withServer(_ body: (ScriptedOAuthServer, OAuthClient) async throws -> Void) async throws {
        let server = try await ScriptedOAuthServer.start()
        let client = try OAuthClient(configuration: .init(
            oauthURL: "http://127.0.0.1:\(server.port)/oauth/v1", apiURL: "http://127.0.0.1:\(server.port)",
            apiKey: Secret(Self.apiKey), timeout: .seconds(10)))
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
        try await client.shutdown()
        try await server.shutdown()
    }

    @Test func registerSendsTheDeviceIdAndTheAPIKeyAsAForm() async throws {
        try await withServer { server, client in
            server.script("/oauth/v1/register", 200, #"{"device_code":"dc-1","state":"st","expires_in":259200}"#)
            let grant = try await client.register(clientID: "dev-1", description: "test box")
            #expect(grant.deviceCode == Secret("dc-1") && grant.expiresInSeconds == 259_200 && grant.state == "st")
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.path == "/oauth/v1/register")
            #expect(request.contentType == "application/x-www-form-urlencoded")
            #expect(request.form == [
                "client_id": "dev-1", "client_secret": Self.apiKey, "client_type": "server",
                "response_type": "device_code", "client_description": "test box",
            ])
        }
    }

    @Test func aRefusedRegistrationNeverQuotesTheAPIKey() async throws {
        try await withServer { server, client in
            server.script("/oauth/v1/register", 400, #"{"error":"invalid_client","error_description":"unknown secret \#(Self.apiKey)"}"#)
            let error = await #expect(throws: OAuthError.self) { _ = try await client.register(clientID: "d", description: "x") }
            #expect(error?.message.contains("invalid_client") == true)
            #expect(error?.message.contains(Self.apiKey) == false)
        }
    }

    @Test func theDeviceCodeIsPendingThenGrantsTokens() async throws {
        try await withServer { server, client in
            server.script("/oauth/v1/token", 400, #"{"error":"authorization_pending","error_description":"waiting"}"#)
            server.script("/oauth/v1/token", 200, #"{"token_type":"Bearer","expires_in":"120","access_token":"at-1","refresh_token":"rt-1"}"#)
            guard case .refused(let pending) = await client.token(clientID: "dev-1", deviceCode: Secret("dc-1")) else {
                Issue.record("expected authorization_pending")
                return
            }
            #expect(pending.isPending && !pending.isInvalidGrant)
            let granted = await client.token(clientID: "dev-1", deviceCode: Secret("dc-1"))
            #expect(granted == .tokens(OAuthTokens(accessToken: Secret("at-1"), refreshToken: Secret("rt-1"), expiresInSeconds: 120)))
            #expect(server.requests.last?.form["grant_type"] == "device_code")
            #expect(server.requests.last?.form["device_code"] == "dc-1")
        }
    }

    @Test func refreshSendsTheRefreshTokenAndReadsInvalidGrant() async throws {
        try await withServer { server, client in
            server.script("/oauth/v1/token", 200, #"{"expires_in":3600,"access_token":"at-2","refresh_token":"rt-2"}"#)
            server.script("/oauth/v1/token", 400, #"{"error":"invalid_grant","error_description":"token reused"}"#)
            let first = await client.refresh(clientID: "api", refreshToken: Secret("rt-1"))
            #expect(first == .tokens(OAuthTokens(accessToken: Secret("at-2"), refreshToken: Secret("rt-2"), expiresInSeconds: 3600)))
            #expect(server.requests.first?.form == [
                "client_id": "api", "client_secret": Self.apiKey, "grant_type": "refresh_token", "refresh_token": "rt-1",
            ])
            guard case .refused(let refusal) = await client.refresh(clientID: "api", refreshToken: Secret("rt-2")) else {
                Issue.record("expected invalid_grant")
                return
            }
            #expect(refusal.isInvalidGrant && refusal.httpStatus == 400)
        }
    }

    @Test func loginSendsTheAPIKeyHeaderAndReadsTheTokenObject() async throws {
        try await withServer { server, client in
            server.script("/api/v1/login", 200, #"{"userid":"alice","token":{"access_token":"at-u","refresh_token":"rt-u","expires_in":600}}"#)
            let result = await client.login(user: "alice", password: Secret("pass word&1"))
            #expect(result == .tokens(OAuthTokens(accessToken: Secret("at-u"), refreshToken: Secret("rt-u"), expiresInSeconds: 600)))
            let request = try #require(server.requests.first)
            #expect(request.apiKey == Self.apiKey)
            #expect(request.form == ["authtype": "0", "userid": "alice", "password": "pass word&1"])
            #expect(!request.path.contains("pass"), "no secret in the URL")
        }
    }

    @Test func aLoginRefusalEchoingThePasswordIsRedacted() async throws {
        try await withServer { server, client in
            server.script("/api/v1/login", 401, #"{"message":"bad password hunter2-secret for alice"}"#)
            guard case .refused(let refusal) = await client.login(user: "alice", password: Secret("hunter2-secret")) else {
                Issue.record("expected a refusal")
                return
            }
            #expect(refusal.httpStatus == 401)
            #expect(!refusal.description.contains("hunter2-secret"))
        }
    }

    @Test func aServerThatIsNotListeningCertainlyGotNothing() async throws {
        let reserved = try ReservedPort()
        let port = reserved.port
        let client = try OAuthClient(configuration: .init(
            oauthURL: "http://127.0.0.1:\(port)/oauth/v1", apiURL: "http://127.0.0.1:\(port)", apiKey: Secret(Self.apiKey)))
        let result = await client.refresh(clientID: "d", refreshToken: Secret("rt"))
        try await client.shutdown()
        withExtendedLifetime(reserved) {}
        guard case .noAnswer(let reason, let mayHaveArrived) = result else {
            Issue.record("expected no answer, got \(result)")
            return
        }
        #expect(!mayHaveArrived, "refused connections prove the token is unspent")
        #expect(!reason.contains("rt"))
    }
}

/// Plain HTTP on 127.0.0.1: answers each path with the next scripted (status, JSON body), records requests.
final class ScriptedOAuthServer: Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var contentType: String?
        var apiKey: String?
        var form: [String: String]
    }

    private let channel: any Channel
    let port: Int
    private let state = Mutex<(scripts: [String: [(Int, String)]], requests: [Request])>(([:], []))

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start() async throws -> ScriptedOAuthServer {
        let box = Mutex<ScriptedOAuthServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: { box.withLock { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedOAuthServer(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLock { $0 = server }
        return server
    }

    func shutdown() async throws {
        try await channel.close()
    }

    func script(_ path: String, _ status: Int, _ json: String) {
        state.withLock { $0.scripts[path, default: []].append((status, json)) }
    }

    var requests: [Request] { state.withLock { $0.requests } }

    fileprivate func answer(_ request: Request) -> (Int, String) {
        state.withLock { state in
            state.requests.append(request)
            guard var queue = state.scripts[request.path], !queue.isEmpty else { return (404, #"{"message":"no script"}"#) }
            let next = queue.removeFirst()
            state.scripts[request.path] = queue
            return next
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: @Sendable () -> ScriptedOAuthServer?
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(server: @escaping @Sendable () -> ScriptedOAuthServer?) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let received):
                head = received
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head, let server = server() else { return }
                let text = body.readString(length: body.readableBytes) ?? ""
                let request = Request(
                    method: head.method.rawValue, path: head.uri, contentType: head.headers.first(name: "Content-Type"),
                    apiKey: head.headers.first(name: "X-Api-Key"), form: Self.form(text))
                let (status, json) = server.answer(request)
                let reply = ByteBuffer(string: json)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(reply.readableBytes))
                let responseHead = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(reply))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        static func form(_ text: String) -> [String: String] {
            var fields: [String: String] = [:]
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                fields[String(parts[0]).removingPercentEncoding ?? ""] = String(parts[1]).removingPercentEncoding ?? ""
            }
            return fields
        }
    }
}
