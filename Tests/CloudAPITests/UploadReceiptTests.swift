import NIOHTTP1
import Testing

@testable import CloudAPI

@Suite("Reading a 2xx answer to an upload")
struct UploadReceiptTests {
    private func receipt(
        _ body: String, contentType: String? = "application/json", contentLength: String? = nil, cut: Bool = false
    ) -> UploadReceipt {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        if let contentLength { headers.add(name: "Content-Length", value: contentLength) }
        return UploadReceipt.reading(status: 200, headers: headers, body: Array(body.utf8), bodyWasCut: cut, bodyLimit: 65_536)
    }

    @Test("DocumentInfo JSON gives the uuid and no warning")
    func documentInfo() {
        #expect(receipt(#"{"uuid":"u-1","status":5}"#) == UploadReceipt(documentUUID: "u-1", warning: nil))
    }

    @Test("an HTML page is accepted without a uuid, and the warning says what came instead")
    func html() {
        let result = receipt("<html>hello</html>", contentType: "text/html; charset=utf-8")
        #expect(result.documentUUID == nil)
        #expect(
            result.warning
                == "the cloud answered 200 but the body was not JSON (text/html, 18 bytes); the document was accepted, its uuid is unknown")
    }

    @Test("JSON without a uuid, JSON that is no object, an empty body: accepted, each with its own warning")
    func oddJSON() {
        #expect(receipt(#"{"status":5}"#).warning?.contains("the JSON body had no uuid (application/json, 12 bytes)") == true)
        #expect(receipt(#"{"uuid":""}"#).warning?.contains("the JSON body had no uuid") == true)
        #expect(receipt("[1,2]").warning?.contains("the body was JSON but not an object") == true)
        #expect(receipt("", contentType: nil).warning?.contains("the body was empty (no content type)") == true)
        for odd in [receipt(#"{"status":5}"#), receipt("[1,2]"), receipt("")] {
            #expect(odd.documentUUID == nil)
        }
    }

    @Test("a body over the limit is not parsed; the warning gives the declared size")
    func cut() {
        let result = receipt(#"{"uuid":"u-1"}"#, contentType: "text/plain", contentLength: "52428800", cut: true)
        #expect(result.documentUUID == nil)
        #expect(result.warning?.contains("larger than the 65536-byte answer limit (text/plain, 52428800 bytes)") == true)
        #expect(result.warning?.hasSuffix("the document was accepted, its uuid is unknown") == true)
    }

    @Test("the server's content type is shown printable and short")
    func contentTypeShown() {
        let result = receipt("x", contentType: "text/\u{1}evil" + String(repeating: "a", count: 300))
        let warning = result.warning ?? ""
        #expect(!warning.contains("\u{1}"))
        #expect(warning.count < 300)
    }
}
