import Testing
@testable import SpoolbridgeCore

@Suite("Handoff wire protocol")
struct HandoffProtocolTests {
    let header = HandoffHeader(
        jobUUID: "urn:uuid:0c7ecbaf-ca4b-30f4-78e8-8e793b0c9313", cupsJobID: 42, printer: "Finance",
        user: "CORP\\Alice", title: "Q3 \"final\"\nreport.pdf", port: "Finance",
        options: PrintOptions(copies: 2, duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape),
        contentType: "application/pdf", declaredSize: 123_456, waitSeconds: 30)

    @Test func headerRoundTripsThroughOneLine() throws {
        let line = header.encodedLine()
        #expect(line.last == 0x0A)
        #expect(line.dropLast().contains(0x0A) == false, "the header must be exactly one line")
        let decoded = try HandoffHeader(decoding: Array(line.dropLast()))
        #expect(decoded == header)
    }

    @Test func headerKeepsUnicodeAndControlCharacters() throws {
        var odd = header
        odd.title = "Ünïcødé 📄 tab\there \u{01} back\\slash"
        odd.user = "名前"
        let decoded = try HandoffHeader(decoding: Array(odd.encodedLine().dropLast()))
        #expect(decoded.title == odd.title)
        #expect(decoded.user == "名前")
    }

    @Test func headerWithoutOptionalFieldsLeavesThemUnset() throws {
        let line = Array(#"{"v":1,"job_uuid":"u","cups_job_id":7,"user":"bob","port":"P"}"#.utf8)
        let decoded = try HandoffHeader(decoding: line)
        #expect(decoded.options == PrintOptions())
        #expect(decoded.title == "")
        #expect(decoded.declaredSize == nil)
        #expect(decoded.waitSeconds == 0)
    }

    @Test func headerIgnoresUnknownFieldsOfAnyType() throws {
        let line = Array(#"{"v":1,"job_uuid":"u","cups_job_id":7,"user":"bob","port":"P","future":{"a":[1,2.5,{"b":null}]},"ratio":0.5}"#.utf8)
        #expect(try HandoffHeader(decoding: line).user == "bob")
    }

    @Test func headerDecodesEscapes() throws {
        let line = Array(#"{"v":1,"job_uuid":"u","cups_job_id":7,"user":"b\u00f6b \ud83d\udcc4","port":"P\/Q"}"#.utf8)
        let decoded = try HandoffHeader(decoding: line)
        #expect(decoded.user == "böb 📄")
        #expect(decoded.port == "P/Q")
    }

    @Test func otherVersionIsRefusedAsUnsupported() {
        let line = Array(#"{"v":2,"job_uuid":"u","user":"bob","port":"P"}"#.utf8)
        #expect(throws: HandoffHeaderError.self) { try HandoffHeader(decoding: line) }
        do {
            _ = try HandoffHeader(decoding: line)
        } catch {
            #expect(error.code == .unsupportedVersion)
            #expect(error.code.disposition == .retry)
        }
    }

    @Test(arguments: [
        #"not json"#,
        #"{"v":1,"job_uuid":"u","user":"bob"}"#,
        #"{"v":1,"job_uuid":"","user":"bob","port":"P"}"#,
        #"{"v":1,"job_uuid":"u","user":"bob","port":"P","copies":0}"#,
        #"{"v":1,"job_uuid":"u","user":"bob","port":"P","duplex":3}"#,
        #"{"v":1,"job_uuid":"u","user":"bob","port":"P","grayscale":"yes"}"#,
        #"{"v":1,"job_uuid":"u","user":"bob","port":"P"} trailing"#,
        #"{"v":1,"job_uuid":"u\"#,
    ])
    func malformedHeaderIsABadHeader(text: String) {
        do {
            _ = try HandoffHeader(decoding: Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .badHeader)
            #expect(error.code.disposition == .cancel)
        }
    }

    @Test func waitIsCapped() throws {
        let line = Array(#"{"v":1,"job_uuid":"u","user":"bob","port":"P","wait":99999}"#.utf8)
        #expect(try HandoffHeader(decoding: line).waitSeconds == HandoffHeader.maxWaitSeconds)
    }

    @Test(arguments: [
        HandoffReply.ok(JobID(17)),
        .error(.tooLarge, "the document (300 MB) is over the limit of 200 MB"),
        .error(HandoffErrorCode(rawValue: "future-code"), ""),
        .delivered(documentUUID: "8c2a-uuid"),
        .failed("HTTP 400: unknown port"),
        .pending(lastError: nil),
        .pending(lastError: "HTTP 503: maintenance"),
    ])
    func repliesRoundTrip(reply: HandoffReply) {
        #expect(HandoffReply(line: reply.line + "\n") == reply)
    }

    @Test func replyReasonsAreFlattenedToOneLine() {
        let line = HandoffReply.failed("first\nsecond\r\nthird").line
        #expect(!line.contains("\n") && !line.contains("\r"))
        #expect(HandoffReply(line: line) == .failed("first second third"))
    }

    @Test(arguments: ["", "HELLO", "OK", "OK x", "ERR"])
    func unknownRepliesAreRejected(line: String) {
        #expect(HandoffReply(line: line) == nil)
    }

    @Test func onlyJobFaultsCancelAndUnknownCodesRetry() {
        for code in [HandoffErrorCode.tooLarge, .emptyDocument, .badHeader, .badBody] {
            #expect(code.disposition == .cancel, "\(code)")
        }
        for code in [HandoffErrorCode.spoolFull, .forbidden, .unsupportedVersion, .shuttingDown, .internalError, .init(rawValue: "new")] {
            #expect(code.disposition == .retry, "\(code)")
        }
    }
}
