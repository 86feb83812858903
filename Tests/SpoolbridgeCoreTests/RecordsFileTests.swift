import SpoolbridgeCore
import Testing

@Suite("Records files: JSON Lines parsing and validation")
struct RecordsFileTests {
    @Test func goodAndBadLinesAreSeparatedWithLineNumbersAndReasons() {
        let text = """
            {"type":"COPY","pages":12,"color-pages":3,"paper":"A4","duplex":true,"serial":"SN123","user":"alice","provider":7}

            {"type":"PHOTO","pages":1,"serial":"SN1"}\r
            {"type":"SCAN","pages":-2,"serial":"SN1"}
            {"type":"FAX","pages":"3","address":"10.0.0.7","title":"fax \\"to\\" HQ"}
            not json at all
            {"type":"COPY","pages":2,"color-pages":5,"serial":"SN1"}
            {"type":"COPY","pages":2}
            {"type":"COPY","pages":2,"serial":"SN1","colour":1}
            """
        guard case .parsed(let valid, let rejected) = RecordsFile.parse(Array(text.utf8)) else {
            Issue.record("rejected whole"); return
        }
        #expect(valid.map(\.number) == [1, 5])
        #expect(valid[0].record.formFields.map { "\($0.0)=\($0.1)" } == [
            "jobtype=COPY", "totalpages=12", "colorpages=3", "papersize=A4", "duplex=true", "serialnumber=SN123",
            "username=alice", "providerid=7",
        ])
        #expect(valid[1].record.title == "fax \"to\" HQ")
        #expect(rejected.map(\.number) == [3, 4, 6, 7, 8, 9])
        let reasons = rejected.map(\.reason)
        #expect(reasons[0].hasPrefix("type:"))
        #expect(reasons[1].hasPrefix("pages:") && reasons[1].contains("negative"))
        #expect(reasons[2].hasPrefix("line:"))
        #expect(reasons[3].hasPrefix("color-pages:"))
        #expect(reasons[4].hasPrefix("serial:"))
        #expect(reasons[5].hasPrefix("colour:"))
        #expect(rejected[0].bytes == Array(#"{"type":"PHOTO","pages":1,"serial":"SN1"}"#.utf8), "without the CR")
    }

    @Test("a file that is not JSON Lines is rejected whole", arguments: [
        ("", "empty"),
        ("\n  \n", "empty"),
        ("type,pages,serial\nCOPY,3,SN1\n", "not JSON Lines"),
        ("%PDF-1.4\n", "not JSON Lines"),
    ])
    func rejectedWhole(text: String, reason: String) {
        guard case .rejected(let why) = RecordsFile.parse(Array(text.utf8)) else { Issue.record("accepted"); return }
        #expect(why.contains(reason), "\(why)")
    }

    @Test func aFileThatIsNotUTF8IsRejectedWholeNamingTheLine() {
        let bytes = Array(#"{"type":"COPY","pages":1,"serial":"SN1"}"#.utf8) + [0x0A] + Array(#"{"title":""#.utf8) + [0xFF, 0xFE]
            + Array("\"}".utf8)
        guard case .rejected(let why) = RecordsFile.parse(bytes) else { Issue.record("accepted"); return }
        #expect(why.contains("not UTF-8") && why.contains("line 2"))
    }

    @Test func anOverlongLineIsRejectedAlone() {
        let long = #"{"type":"COPY","serial":"SN1","title":""# + String(repeating: "x", count: RecordsFile.maxLineBytes) + #""}"#
        let text = #"{"type":"COPY","serial":"SN1"}"# + "\n" + long + "\n"
        guard case .parsed(let valid, let rejected) = RecordsFile.parse(Array(text.utf8)) else { Issue.record("whole"); return }
        #expect(valid.count == 1)
        #expect(rejected.map(\.number) == [2])
        #expect(rejected.first?.reason.contains("longer than") == true)
    }
}
