import AsyncHTTPClient
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
    /// a watchdog ends the request when the body stops moving for the stall timeout.
    func execute(
        _ request: HTTPClientRequest, label: String, deadlines: RequestDeadlines, progress: SendProgress? = nil
    ) async throws(DeliveryFailure) -> CloudResponse {
        let started = ContinuousClock.now
        var stage = RequestDeadlines.Stage.beforeAnswer
        do {
            let response = try await responseHead(for: request, deadlines: deadlines, progress: progress)
            stage = .readingAnswer
            var body: [UInt8] = []
            var bodyWasCut = false
            for try await chunk in response.body {
                let room = Self.answerLimit - body.count
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
                    "cloud.request": "\(label)", "cloud.host": "\(baseURL.authority)", "http.status": "\(response.status.code)",
                    "duration": "\(ContinuousClock.now - started)",
                ])
            return CloudResponse(status: Int(response.status.code), headers: response.headers, body: body, bodyWasCut: bodyWasCut)
        } catch {
            throw redacted(TransportFailure.failure(for: error, url: baseURL, deadlines: deadlines, stage: stage))
        }
    }

    /// The response head; the request body, if streamed, under the send watchdog until then.
    private func responseHead(
        for request: HTTPClientRequest, deadlines: RequestDeadlines, progress: SendProgress?
    ) async throws -> HTTPClientResponse {
        let http = self.http
        let deadline: NIODeadline = deadlines.total.map { .now() + $0.timeAmount } ?? .distantFuture
        guard let progress else { return try await http.execute(request, deadline: deadline) }
        let watchdog = SendWatchdog(progress: progress, stallTimeout: deadlines.stall)
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask { try await http.execute(request, deadline: deadline) }
            group.addTask {
                try await watchdog.run()
                return nil
            }
            // Whichever ends first decides: the answer (the watchdog is cancelled), or a stall
            // (the request is cancelled, which closes its connection).
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let response = finished { return response }
            }
            preconditionFailure("the request task returns a response or throws")
        }
    }
}
