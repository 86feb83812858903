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

    /// Sends a request and reads the answer under `deadlines`. With `progress` (a streamed body),
    /// a watchdog ends the exchange when nothing moves for the stall timeout.
    func execute(
        _ request: HTTPClientRequest, label: String, deadlines: RequestDeadlines, progress: ExchangeProgress? = nil
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
            let watchdog = ExchangeWatchdog(progress: progress, stallTimeout: deadlines.stall)
            return try await withThrowingTaskGroup(of: CloudResponse?.self) { group in
                group.addTask { try await exchange() }
                group.addTask {
                    try await watchdog.run()
                    return nil
                }
                // Whichever ends first decides: the answer (the watchdog is cancelled), or a stall
                // (the exchange is cancelled, which closes its connection).
                defer { group.cancelAll() }
                while let finished = try await group.next() {
                    if let response = finished { return response }
                }
                preconditionFailure("the exchange task returns a response or throws")
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
