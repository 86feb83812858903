import AsyncHTTPClient
import NIOCore
import SpoolbridgeCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import CloudAPI

@Suite("Transport errors to delivery failures")
struct TransportFailureTests {
    private let url = try! CloudBaseURL(parsing: "https://print.example.com:7300")

    private let upload = RequestDeadlines(connect: .seconds(10), stall: .seconds(60), total: nil, payload: "the document")

    private func failure(_ error: any Error, stage: RequestDeadlines.Stage = .beforeAnswer) -> DeliveryFailure {
        TransportFailure.failure(for: error, url: url, deadlines: upload, stage: stage)
    }

    @Test("every transport error is transient, without a status, naming the host")
    func transient() {
        let errors: [any Error] = [
            HTTPClientError.connectTimeout, HTTPClientError.deadlineExceeded, HTTPClientError.remoteConnectionClosed,
            HTTPClientError.tlsHandshakeTimeout, HTTPClientError.readTimeout, HTTPClientError.cancelled,
            HTTPClientError.writeTimeout, ExchangeStalled(stage: .sending), ExchangeStalled(stage: .awaitingAnswer),
            IOError(errnoCode: ECONNREFUSED, reason: "connect"), IOError(errnoCode: ECONNRESET, reason: "read"),
            ChannelError.eof, CancellationError(),
        ]
        for error in errors {
            let result = failure(error)
            #expect(result.kind == .transient, "\(error)")
            #expect(result.httpStatus == nil)
            #expect(result.message.contains("print.example.com:7300"), "\(result.message)")
        }
    }

    @Test("messages say what happened")
    func messages() {
        #expect(failure(HTTPClientError.connectTimeout).message == "connecting to print.example.com:7300 timed out after 10 s")
        #expect(failure(IOError(errnoCode: ECONNREFUSED, reason: "connect")).message.contains("refused the connection"))
        #expect(failure(IOError(errnoCode: ECONNRESET, reason: "read")).message == "print.example.com:7300 reset the connection")
    }

    @Test("a tripped stall deadline says what stalled, for how long, and which setting it was")
    func stalls() {
        let host = "print.example.com:7300"
        #expect(
            failure(ExchangeStalled(stage: .sending)).message
                == "sending the document to \(host) stalled: no byte moved for 60 s (delivery.stall_seconds)")
        #expect(
            failure(ExchangeStalled(stage: .awaitingAnswer)).message
                == "no answer from \(host) within 60 s after the document was sent (delivery.stall_seconds)")
        #expect(
            failure(ExchangeStalled(stage: .readingAnswer)).message
                == "the answer from \(host) stalled: no byte arrived for 60 s (delivery.stall_seconds)")
    }

    @Test("the HTTP client's idle timeouts are a backstop a quarter later, and their messages say so")
    func backstops() {
        let host = "print.example.com:7300"
        #expect(RequestDeadlines.backstop(for: .seconds(60)) == .seconds(75))
        #expect(RequestDeadlines.backstop(for: .seconds(1)) == .seconds(2))
        #expect(
            failure(HTTPClientError.readTimeout).message
                == "no answer from \(host) within 75 s after the document was sent (delivery.stall_seconds)")
        #expect(
            failure(HTTPClientError.readTimeout, stage: .readingAnswer).message
                == "the answer from \(host) stalled: no byte arrived for 75 s (delivery.stall_seconds)")
        #expect(
            failure(HTTPClientError.writeTimeout).message
                == "sending the document to \(host) stalled: no byte moved for 75 s (delivery.stall_seconds)")
    }

    @Test("only a probe has a total deadline, and its message names it")
    func totalDeadline() {
        let probe = RequestDeadlines(connect: .seconds(10), stall: .seconds(60), total: .seconds(30), payload: "the request")
        let result = TransportFailure.failure(for: HTTPClientError.deadlineExceeded, url: url, deadlines: probe, stage: .beforeAnswer)
        #expect(result.message == "the request to print.example.com:7300 did not finish within 30 s")
        #expect(result.kind == .transient)
    }

    @Test("our own failures pass through unchanged")
    func passThrough() {
        let own = DeliveryFailure(kind: .permanent, httpStatus: 400, message: "bad")
        #expect(failure(own) == own)
        #expect(failure(PayloadReadError(message: "file changed")) == DeliveryFailure(kind: .transient, message: "file changed"))
    }

    @Test("header-value errors never quote the values (they could hold the key)")
    func headerValues() {
        let result = failure(HTTPClientError.invalidHeaderFieldValues(["secret-api-key-value"]))
        #expect(!result.message.contains("secret-api-key-value"))
    }
}
