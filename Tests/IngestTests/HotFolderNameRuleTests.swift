import Testing

@testable import Ingest

@Suite struct HotFolderNameRuleTests {
    @Test(arguments: [
        ".hidden", ".DS_Store", "report.tmp", "REPORT.TMP", "upload.pdf.part", "~$budget.xlsx",
        "invoice.pdf.error.txt", "Invoice.PDF.Error.Txt", "",
    ])
    func ignoresTemporaryHiddenAndOwnFiles(name: String) {
        #expect(HotFolderNameRule.isIgnored(Array(name.utf8)))
    }

    @Test(arguments: ["invoice.pdf", "notes.txt", "tmp", "part.pdf", "a~$b.doc", "error.txt", "x.tmp.pdf", "Ünïcode.pdf"])
    func takesOrdinaryNames(name: String) {
        #expect(!HotFolderNameRule.isIgnored(Array(name.utf8)))
    }

    @Test func judgesRawBytesThatAreNotUTF8() {
        #expect(HotFolderNameRule.isIgnored([0x2E, 0xFF, 0xFE]))
        #expect(HotFolderNameRule.isIgnored([0xFF] + Array(".part".utf8)))
        #expect(!HotFolderNameRule.isIgnored([0xFF, 0x41] + Array(".pdf".utf8)))
    }
}
