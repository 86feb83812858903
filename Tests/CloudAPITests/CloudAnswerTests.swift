import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("Cloud answers to failures")
struct CloudAnswerTests {
    private func failure(_ status: Int, _ body: String = "", retryAfter: String? = nil) -> DeliveryFailure {
        CloudAnswer.failure(status: status, retryAfterHeader: retryAfter, body: Array(body.utf8), now: 1_000_000)
    }

    @Test("5xx, 429 and 408 are transient", arguments: [500, 502, 503, 504, 429, 408])
    func transient(status: Int) {
        let result = failure(status, #"{"message":"busy"}"#)
        #expect(result.kind == .transient)
        #expect(result.httpStatus == status)
        #expect(result.message == "busy")
    }

    @Test("other 4xx are permanent", arguments: [400, 401, 403, 404, 409, 413, 422])
    func permanent(status: Int) {
        let result = failure(status, #"{"message":"no"}"#)
        #expect(result.kind == .permanent)
        #expect(result.httpStatus == status)
        #expect(result.message.hasPrefix("no"))
    }

    @Test("403 points at the API key file")
    func forbiddenHint() {
        let result = failure(403, #"{"message":"Invalid API key"}"#)
        #expect(result.message.contains("Invalid API key"))
        #expect(result.message.contains("check cloud.api_key_file"))
    }

    @Test("400 keeps the server's message as it is")
    func badRequest() {
        #expect(failure(400, #"{"message":"bad"}"#).message == "bad")
    }

    @Test("the message comes from message, errorMessage, error_description, or the body text")
    func messageSources() {
        #expect(CloudAnswer.serverMessage(in: Array(#"{"errorMessage":"quota"}"#.utf8)) == "quota")
        #expect(CloudAnswer.serverMessage(in: Array(#"{"error":"invalid_grant","error_description":"expired"}"#.utf8)) == "expired")
        #expect(CloudAnswer.serverMessage(in: Array(#"{"code":12,"message":"x"}"#.utf8)) == "x")
        #expect(CloudAnswer.serverMessage(in: Array("<html>\r\n<b>Bad Gateway</b></html>".utf8)) == "<html>  <b>Bad Gateway</b></html>")
        #expect(CloudAnswer.serverMessage(in: Array(#"{"message":42}"#.utf8)) == #"{"message":42}"#)
        #expect(CloudAnswer.serverMessage(in: []) == nil)
        #expect(failure(502).message == "the cloud answered 502 without a message")
    }

    @Test("long bodies are cut to 500 characters")
    func longBody() {
        let message = CloudAnswer.serverMessage(in: Array(String(repeating: "x", count: 10_000).utf8))
        #expect(message?.count == 501)  // 500 and an ellipsis
    }

    @Test("Retry-After is parsed into seconds")
    func retryAfter() {
        #expect(failure(429, retryAfter: "7").retryAfterSeconds == 7)
        // now is 1_000_000 = Mon, 12 Jan 1970 13:46:40 GMT
        #expect(failure(503, retryAfter: "Mon, 12 Jan 1970 13:47:40 GMT").retryAfterSeconds == 60)
        #expect(failure(503).retryAfterSeconds == nil)
        #expect(failure(503, retryAfter: "later").retryAfterSeconds == nil)
    }
}
