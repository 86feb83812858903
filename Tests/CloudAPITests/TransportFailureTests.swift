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

    private func failure(_ error: any Error) -> DeliveryFailure {
        TransportFailure.failure(for: error, url: url, connectTimeout: .seconds(10), requestTimeout: .seconds(600))
    }

    @Test("every transport error is transient, without a status, naming the host")
    func transient() {
        let errors: [any Error] = [
            HTTPClientError.connectTimeout, HTTPClientError.deadlineExceeded, HTTPClientError.remoteConnectionClosed,
            HTTPClientError.tlsHandshakeTimeout, HTTPClientError.readTimeout, HTTPClientError.cancelled,
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
        #expect(failure(HTTPClientError.deadlineExceeded).message.contains("did not finish within 600 s"))
        #expect(failure(IOError(errnoCode: ECONNREFUSED, reason: "connect")).message.contains("refused the connection"))
        #expect(failure(IOError(errnoCode: ECONNRESET, reason: "read")).message == "print.example.com:7300 reset the connection")
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
