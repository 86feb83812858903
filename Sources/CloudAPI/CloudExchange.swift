import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import SpoolbridgeCore

/// An answer as the client keeps it: status, headers and the start of the body.
struct CloudResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// At most `CloudClient.answerLimit` bytes.
    var body: [UInt8]
    /// More followed than `body` holds; the rest was not read and the connection was dropped.
    var bodyWasCut: Bool

    /// The failure a non-2xx answer stands for.
    func failure() -> DeliveryFailure {
        CloudAnswer.failure(
            status: status, retryAfterHeader: headers.first(name: "Retry-After"), body: body, now: CloudClient.unixNow())
    }
}

extension CloudClient {
    /// Answers are small JSON documents; reading stops here, and the connection is dropped rather
    /// than drained (a 200 with a 50 MB body must cost neither the memory nor the time).
    static let answerLimit = 64 * 1024

    /// Sends a request and reads the answer under `deadlines`. Every request goes through here, so
    /// this is where the bearer token is added (see `authorized`). A request with a streamed body
    /// uses the builder form instead, so a retry after a 401 can stream it again.
    func execute(
        _ request: HTTPClientRequest, label: String, deadlines: RequestDeadlines
    ) async throws(DeliveryFailure) -> CloudResponse {
        try await execute(label: label, deadlines: deadlines) { (request, nil) }
    }

    /// `makeRequest` builds the request (and, for a streamed body, the progress its watchdog reads)
    /// for each attempt. With a token source: `Authorization: Bearer` is added; a 401 makes the
    /// source refresh once and the request is sent once more; a second 401, or no token at all, is
    /// `.unauthorized` (delivery holds; the job is not failed).
    func execute(
        label: String, deadlines: RequestDeadlines,
        makeRequest: () -> (HTTPClientRequest, ExchangeProgress?)
    ) async throws(DeliveryFailure) -> CloudResponse {
        guard let tokenSource else {
            let (request, progress) = makeRequest()
            return try await exchange(request, label: label, deadlines: deadlines, progress: progress)
        }
        let token = try await bearerToken(from: tokenSource)
        let first = try await exchange(authorized(makeRequest, token), label: label, deadlines: deadlines)
        guard first.status == 401 else { return first }
        logger.info("the cloud refused the access token; refreshing it once", metadata: ["cloud.request": "\(label)"])
        guard await tokenSource.accessTokenWasRejected(token) else { throw unauthorized(first, retried: false) }
        let fresh = try await bearerToken(from: tokenSource)
        let second = try await exchange(authorized(makeRequest, fresh), label: label, deadlines: deadlines)
        guard second.status == 401 else { return second }
        _ = await tokenSource.accessTokenWasRejected(fresh)
        throw unauthorized(second, retried: true)
    }

    private func exchange(
        _ built: (HTTPClientRequest, ExchangeProgress?), label: String, deadlines: RequestDeadlines
    ) async throws(DeliveryFailure) -> CloudResponse {
        try await exchange(built.0, label: label, deadlines: deadlines, progress: built.1)
    }

    /// The one place the bearer token joins the headers `commonHeaders()` built.
    private func authorized(
        _ makeRequest: () -> (HTTPClientRequest, ExchangeProgress?), _ token: Secret
    ) -> (HTTPClientRequest, ExchangeProgress?) {
        var (request, progress) = makeRequest()
        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token.exposedValue)")
        return (request, progress)
    }

    private func bearerToken(from source: any BearerTokenSource) async throws(DeliveryFailure) -> Secret {
        switch await source.currentAccessToken() {
        case .token(let token): return token
        case .unavailable(let reason): throw DeliveryFailure(kind: .unauthorized, message: reason)
        }
    }

    private func unauthorized(_ answer: CloudResponse, retried: Bool) -> DeliveryFailure {
        let said = CloudAnswer.serverMessage(in: answer.body) ?? "no message"
        let what = retried ? "refused a freshly refreshed access token too" : "refused the access token and no fresh one is available"
        return redacted(DeliveryFailure(
            kind: .unauthorized, httpStatus: 401,
            message: "the cloud at \(baseURL.authority) \(what) (\(said)); jobs stay queued; "
                + "see `spoolbridge device status`"))
    }

    /// Sends one request and reads the answer under `deadlines`. With `progress` (a streamed body),
    /// a watchdog ends the exchange when nothing moves for the stall timeout.
    private func exchange(
        _ request: HTTPClientRequest, label: String, deadlines: RequestDeadlines, progress: ExchangeProgress?
    ) async throws(DeliveryFailure) -> CloudResponse {
        let http = self.http, logger = self.logger, host = baseURL.authority
        let deadline: NIODeadline = deadlines.total.map { .now() + $0.timeAmount } ?? .distantFuture
        // Without a watched body, progress is still tracked: a failure's message says how far it got.
        let tracked = progress ?? ExchangeProgress()
        let exchange = { @Sendable () async throws -> CloudResponse in
            try await Self.exchange(
                request, on: http, deadline: deadline, progress: tracked, label: label, host: host, logger: logger)
        }
        do {
            guard let progress else { return try await exchange() }
            // The exchange runs as its own task so the watchdog can cancel it (which closes its
            // connection); cancelling this task cancels it too.
            let task = Task { try await exchange() }
            let watch = watchdogs.watch(progress, stallTimeout: deadlines.stall) { task.cancel() }
            defer { watchdogs.end(watch) }
            do {
                return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            } catch {
                if let stage = watch.stalledStage { throw ExchangeStalled(stage: stage) }
                throw error
            }
        } catch {
            let stage: RequestDeadlines.Stage = tracked.stage.hasAnswerStarted ? .readingAnswer : .beforeAnswer
            throw redacted(TransportFailure.failure(for: error, url: baseURL, deadlines: deadlines, stage: stage))
        }
    }

    /// One request and its answer, telling `progress` as the answer arrives.
    private static func exchange(
        _ request: HTTPClientRequest, on http: HTTPClient, deadline: NIODeadline, progress: ExchangeProgress,
        label: String, host: String, logger: Logger
    ) async throws -> CloudResponse {
        let started = ContinuousClock.now
        let response = try await http.execute(request, deadline: deadline)
        progress.answerPieceArrived()
        var body: [UInt8] = []
        var bodyWasCut = false
        for try await chunk in response.body {
            progress.answerPieceArrived()
            let room = answerLimit - body.count
            body.append(contentsOf: chunk.readableBytesView.prefix(room))
            if chunk.readableBytes > room {
                // Leaving the loop drops the body stream; the HTTP client then closes the connection.
                bodyWasCut = true
                break
            }
        }
        logger.debug(
            "cloud answered",
            metadata: [
                "cloud.request": "\(label)", "cloud.host": "\(host)", "http.status": "\(response.status.code)",
                "duration": "\(ContinuousClock.now - started)",
            ])
        return CloudResponse(status: Int(response.status.code), headers: response.headers, body: body, bodyWasCut: bodyWasCut)
    }
}

extension ExchangeProgress.Stage {
    var hasAnswerStarted: Bool {
        if case .readingAnswer = self { return true }
        return false
    }
}
