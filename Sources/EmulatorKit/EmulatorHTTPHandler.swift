import Foundation
import NIOCore
import NIOHTTP1

struct EmulatorSettings: Sendable {
    var apiKey: String
    var maxDocumentBytes: Int
    var tokens: TokenAuthority
}

/// Serves one connection: routes each request, streams upload bodies through the multipart
/// parser, applies injected faults and answers with the cloud's JSON shapes. Runs on the
/// connection's event loop only; `HTTPServerPipelineHandler` before it orders pipelined requests.
final class EmulatorHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Exchange {
        case idle
        /// Drain the body, then answer this.
        case answerAtEnd(HTTPAnswer)
        case control(method: HTTPMethod, path: String, body: ByteBuffer)
        /// A form request (`/oauth/v1`, `/login`): collect the body, then answer.
        case form(FormRoute, body: ByteBuffer)
        case upload(UploadExchange)
        /// A small form-encoded API call (Requests/FormEndpoints.swift): collect the body, answer at its end.
        case apiForm(HTTPRequestHead, path: String, body: [UInt8])
        /// Answered before the body ended: drain it.
        case answeredEarly
        /// A reset fault closed the connection.
        case dropped
        /// A hang fault: drain the request, never answer.
        case held
    }

    /// How an accepted upload is answered.
    enum Acceptance {
        case documentInfo
        case htmlPage
        case hugeBody(bytes: Int)
    }

    static let maxControlBodyBytes = 1024 * 1024

    // Members without `private` are used by EmulatorHTTPHandler+Responses.swift too.
    let state: EmulatorState
    private let settings: EmulatorSettings
    private var exchange = Exchange.idle
    var version = HTTPVersion.http1_1
    var isControl = false
    var closeAfterResponse = false
    private var delay: TimeAmount?
    /// A `dropAnswer` fault: process the request, then close instead of answering.
    var dropAnswer = false
    var acceptance = Acceptance.documentInfo
    private var throttle: ReadThrottle?
    var hugeBody: HugeBodyWriter?
    var lastResponseWritten: EventLoopFuture<Void>?

    init(state: EmulatorState, settings: EmulatorSettings) {
        self.state = state
        self.settings = settings
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(head, context: context)
        case .body(let buffer): receive(buffer, context: context)
        case .end: end(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed HTTP (the error handler before us has answered 400) or an I/O error.
        // Count a request that was cut off before its answer; one already answered (or held) counted then.
        switch exchange {
        case .upload, .answerAtEnd, .form, .apiForm: if !isControl { state.countRejection() }
        case .idle, .control, .answeredEarly, .dropped, .held: break
        }
        exchange = .idle
        context.close(promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        throttle?.readCompleted(context: context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let writer = hugeBody, writer.pump(context: context) {
            hugeBody = nil
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.forget(context.channel)
        throttle?.stop(context: context)
        throttle = nil
        hugeBody = nil
        context.fireChannelInactive()
    }

    // MARK: - Request parts

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        version = head.version
        closeAfterResponse = !head.isKeepAlive
        delay = nil
        dropAnswer = false
        acceptance = .documentInfo
        let path = String(head.uri.prefix { $0 != "?" })
        isControl = path.hasPrefix("/_emulator/")
        if isControl {
            if let refusal = ControlEndpoints.refusal(method: head.method, path: path) {
                exchange = .answerAtEnd(refusal)
            } else {
                exchange = .control(method: head.method, path: path, body: ByteBuffer())
            }
        } else {
            state.countRequest(path: path)
            if let target = FaultTarget(method: head.method, path: path), let fault = state.takeFault(for: target) {
                switch fault {
                case .resetConnection:
                    state.countRejection()
                    exchange = .dropped
                    context.close(promise: nil)
                    return
                case .status(let status, let message):
                    exchange = .answerAtEnd(.error(status, message))
                case .tooManyRequests(let seconds):
                    var answer = HTTPAnswer.error(429, "too many requests (injected); retry after \(seconds) s")
                    answer.headers.append(("Retry-After", String(seconds)))
                    exchange = .answerAtEnd(answer)
                case .delay(let milliseconds):
                    delay = .milliseconds(Int64(milliseconds))
                    exchange = route(head, path: path)
                case .hang:
                    state.hold(context.channel)
                    exchange = .held
                case .okNotJSON:
                    acceptance = .htmlPage
                    exchange = route(head, path: path)
                case .okHugeBody(let bytes):
                    acceptance = .hugeBody(bytes: bytes)
                    exchange = route(head, path: path)
                case .dropAnswer:
                    dropAnswer = true
                    exchange = route(head, path: path)
                case .throttle(let bytesPerSecond):
                    let throttle = ReadThrottle(bytesPerSecond: bytesPerSecond)
                    throttle.start(context: context)
                    self.throttle = throttle
                    exchange = route(head, path: path)
                }
            } else {
                exchange = route(head, path: path)
            }
        }
        if head.headers["Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            answerExpectation(head, context: context)
        }
    }

    private func route(_ head: HTTPRequestHead, path: String) -> Exchange {
        if path == OAuthEndpoints.base || path.hasPrefix(OAuthEndpoints.base + "/") {
            // The token service authenticates by client_secret in the form, not by header.
            switch OAuthEndpoints.route(head, path: path) {
            case .success(let route): return .form(route, body: ByteBuffer())
            case .failure(let refusal): return .answerAtEnd(refusal.answer)
            }
        }
        guard path == "/api/v1" || path.hasPrefix("/api/v1/") else {
            return .answerAtEnd(.error(404, "no such path \(path); the API lives under /api/v1 and /oauth/v1"))
        }
        let keys = head.headers["X-Api-Key"]
        guard keys.count == 1, constantTimeEquals(keys[0], settings.apiKey) else {
            return .answerAtEnd(
                .error(403, keys.isEmpty ? "missing X-Api-Key header" : "invalid API key in X-Api-Key header"))
        }
        let tokens = settings.tokens
        let bearerNeeded = path == "/api/v1/login" ? tokens.loginRequiresBearer : tokens.requiresBearer
        if bearerNeeded, let problem = tokens.bearerProblem(head.headers["Authorization"], now: .now) {
            return .answerAtEnd(OAuthEndpoints.unauthorized(problem))
        }
        switch path {
        case "/api/v1/login":
            guard head.method == .POST else { return .answerAtEnd(.methodNotAllowed(path, allow: "POST")) }
            if let problem = OAuthEndpoints.formContentTypeProblem(head, route: .login) {
                return .answerAtEnd(.error(400, problem))
            }
            return .form(.login, body: ByteBuffer())
        case "/api/v1/version":
            guard head.method == .GET else { return .answerAtEnd(.methodNotAllowed(path, allow: "GET")) }
            return .answerAtEnd(.json(ServerVersionInfo()))
        case "/api/v1/documents":
            guard head.method == .PUT else { return .answerAtEnd(.methodNotAllowed(path, allow: "PUT")) }
            do {
                let boundary = try UploadExchange.boundary(of: head)
                return .upload(UploadExchange(boundary: boundary, maxDocumentBytes: settings.maxDocumentBytes))
            } catch {
                return .answerAtEnd(.rejection((error as? Rejection) ?? .badRequest("\(error)")))
            }
        default:
            guard FormEndpoints.handles(path) else { return .answerAtEnd(.error(404, "no such endpoint \(path)")) }
            return .apiForm(head, path: path, body: [])
        }
    }

    /// `Expect: 100-continue`: invite the body when it will be read, else answer at once and close,
    /// since the client may never send the body it announced.
    private func answerExpectation(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch exchange {
        case .upload, .control, .form, .apiForm:
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        case .answerAtEnd(let answer):
            closeAfterResponse = true
            exchange = .answeredEarly
            respond(answer, context: context, closeWhenWritten: true)
        case .idle, .answeredEarly, .dropped, .held:
            break
        }
    }

    private func receive(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        throttle?.received(buffer.readableBytes)
        switch exchange {
        case .control(let method, let path, var body):
            exchange = .idle  // leave `body` uniquely referenced
            if body.readableBytes + buffer.readableBytes > Self.maxControlBodyBytes {
                exchange = .answerAtEnd(.error(413, "control request body over \(Self.maxControlBodyBytes) bytes"))
            } else {
                var buffer = buffer
                body.writeBuffer(&buffer)
                exchange = .control(method: method, path: path, body: body)
            }
        case .apiForm(let head, let path, var body):
            exchange = .idle  // leave `body` uniquely referenced
            if body.count + buffer.readableBytes > FormEndpoints.maxBodyBytes {
                exchange = .answerAtEnd(.error(413, "form body over \(FormEndpoints.maxBodyBytes) bytes"))
            } else {
                body += buffer.readableBytesView
                exchange = .apiForm(head, path: path, body: body)
            }
        case .form(let route, var body):
            exchange = .idle  // leave `body` uniquely referenced
            if body.readableBytes + buffer.readableBytes > OAuthEndpoints.maxFormBytes {
                exchange = .answerAtEnd(.error(413, "\(route.what): form body over \(OAuthEndpoints.maxFormBytes) bytes"))
            } else {
                var buffer = buffer
                body.writeBuffer(&buffer)
                exchange = .form(route, body: body)
            }
        case .upload(let upload):
            upload.feed(buffer)
            if let failure = upload.failure, failure.status == 413 {
                // Answer now so the client can stop sending; drain the rest, then close.
                closeAfterResponse = true
                exchange = .answeredEarly
                respond(.rejection(failure), context: context, closeWhenWritten: false)
            }
        case .idle, .answerAtEnd, .answeredEarly, .dropped, .held:
            break
        }
    }

    private func end(context: ChannelHandlerContext) {
        let finished = exchange
        exchange = .idle
        throttle?.stop(context: context)
        throttle = nil
        let answer: HTTPAnswer
        switch finished {
        case .idle, .dropped:
            return
        case .held:
            // The whole request is read; the connection stays open and silent (see Fault.hang).
            exchange = .held
            return
        case .answeredEarly:
            if closeAfterResponse {
                let channel = context.channel
                if let written = lastResponseWritten {
                    written.whenComplete { _ in channel.close(promise: nil) }
                } else {
                    channel.close(promise: nil)
                }
            }
            return
        case .answerAtEnd(let prepared):
            answer = prepared
        case .apiForm(let head, let path, let body):
            answer = FormEndpoints.answer(head, path: path, body: body, state: state)
        case .control(let method, let path, let body):
            answer = ControlEndpoints.answer(method: method, path: path, body: body, state: state, tokens: settings.tokens)
        case .form(let route, let body):
            // Decided (and its tokens issued or spent) now, even when a fault then spoils the answer.
            let decided = OAuthEndpoints.answer(route, body: body, apiKey: settings.apiKey, tokens: settings.tokens)
            switch acceptance {
            case .documentInfo: answer = decided
            case .htmlPage: answer = .htmlPage
            case .hugeBody(let bytes):
                respondHuge(bytes: bytes, context: context, closeWhenWritten: closeAfterResponse)
                return
            }
        case .upload(let upload):
            let close = closeAfterResponse
            guard let delay else {
                answerUpload(upload, context: context, closeWhenWritten: close)
                return
            }
            // A slow server: finish (record and answer) only once the delay has passed.
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                self.answerUpload(upload, context: context, closeWhenWritten: close)
            }
            return
        }
        if let delay {
            let close = closeAfterResponse
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                self.respond(answer, context: context, closeWhenWritten: close)
            }
        } else {
            respond(answer, context: context, closeWhenWritten: closeAfterResponse)
        }
    }
}

extension HTTPAnswer {
    static func methodNotAllowed(_ path: String, allow: String) -> HTTPAnswer {
        var answer = HTTPAnswer.error(405, "method not allowed on \(path); use \(allow)")
        answer.headers.append(("Allow", allow))
        return answer
    }
}
