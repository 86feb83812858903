import SpoolbridgeCore
import Testing

@Suite("History records: validation names the field as the source wrote it")
struct HistoryRecordTests {
    /// Fields as `key=value` pairs separated by `&`, and the option the error must name.
    static let refusals: [(String, String)] = [
        ("pages=3&serial=SN1", "--type"),
        ("type=PHOTOCOPY&serial=SN1", "--type"),
        ("type=COPY&pages=-1&serial=SN1", "--pages"),
        ("type=COPY&pages=twelve&serial=SN1", "--pages"),
        ("type=COPY&pages=3&color-pages=4&serial=SN1", "--color-pages"),
        ("type=COPY&color-pages=1&serial=SN1", "--pages"),
        ("type=COPY", "--serial"),
        ("type=COPY&serial=SN1&provider=7", "--user"),
        ("type=COPY&serial=SN1&provider=x", "--provider"),
        ("type=COPY&serial= ", "--serial"),
        ("type=COPY&serial=SN1&title=a\u{7}b", "--title"),
        ("type=COPY&serial=SN1&colour=1", "--colour"),
    ]

    @Test("invalid input is refused naming the option", arguments: refusals)
    func refused(fields: String, named: String) {
        var input: [String: HistoryRecord.Value] = [:]
        for pair in fields.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            input[String(parts[0])] = .text(String(parts[1]))
        }
        #expect {
            _ = try HistoryRecord.validated(input, prefix: "--")
        } throws: { error in
            (error as? RecordFieldError)?.field == named
        }
    }

    @Test func aValidRecordSendsTheDocumentedFieldsInOrder() throws {
        let record = try HistoryRecord.validated([
            "type": .text("fax"), "pages": .text("2"), "address": .text("10.0.0.7"), "duplex": .flag(false),
            "user": .text("bob"), "provider": .integer(3),
        ], prefix: "--")
        #expect(record.formFields.map { "\($0.0)=\($0.1)" } == [
            "jobtype=FAX", "totalpages=2", "duplex=false", "address=10.0.0.7", "username=bob", "providerid=3",
        ])
    }
}
