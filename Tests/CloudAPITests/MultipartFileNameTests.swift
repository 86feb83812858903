import Testing

@testable import CloudAPI

@Suite("Multipart file names")
struct MultipartFileNameTests {
    @Test("plain ASCII names are kept in both forms")
    func plain() {
        let name = MultipartFileName("Report 2024 (final).pdf")
        #expect(name.asciiFallback == "Report 2024 (final).pdf")
        #expect(name.percentEncoded == "Report%202024%20%28final%29.pdf")
        #expect(name.dispositionParameters == "filename=\"Report 2024 (final).pdf\"; filename*=UTF-8''Report%202024%20%28final%29.pdf")
    }

    @Test("quotes and backslashes cannot close the quoted string")
    func quotes() {
        let name = MultipartFileName("a\"b\\c\";x=y.pdf")
        #expect(name.asciiFallback == "a_b_c_;x=y.pdf")
        #expect(name.percentEncoded == "a%22b_c%22%3Bx%3Dy.pdf")
    }

    @Test("CR, LF and other controls never reach the header", arguments: [
        "evil\r\nContent-Type: text/html.pdf", "tab\there", "nul\u{0}byte", "del\u{7F}", "c1\u{85}next", "ls\u{2028}ps\u{2029}",
    ])
    func controls(raw: String) {
        let name = MultipartFileName(raw)
        let header = name.dispositionParameters
        #expect(!header.utf8.contains(13))
        #expect(!header.utf8.contains(10))
        #expect(header.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) })
        #expect(!name.cleaned.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test("non-ASCII names: underscores in the fallback, UTF-8 percent-encoding in filename*")
    func nonASCII() {
        let name = MultipartFileName("Příliš žluťoučký kůň.pdf")
        #expect(name.asciiFallback == "P__li_ _lu_ou_k_ k__.pdf")
        #expect(name.percentEncoded == "P%C5%99%C3%ADli%C5%A1%20%C5%BElu%C5%A5ou%C4%8Dk%C3%BD%20k%C5%AF%C5%88.pdf")
        let emoji = MultipartFileName("📄.pdf")
        #expect(emoji.asciiFallback == "_.pdf")
        #expect(emoji.percentEncoded == "%F0%9F%93%84.pdf")
    }

    @Test("invalid UTF-8 bytes become U+FFFD, and the header stays ASCII")
    func invalidUTF8() {
        let name = MultipartFileName(bytes: Array("bad".utf8) + [0xFF, 0xC3] + Array(".pdf".utf8))
        #expect(name.cleaned == "bad\u{FFFD}\u{FFFD}.pdf")
        #expect(name.asciiFallback == "bad__.pdf")
        #expect(name.percentEncoded == "bad%EF%BF%BD%EF%BF%BD.pdf")
        #expect(name.dispositionParameters.utf8.allSatisfy { (0x20...0x7E).contains($0) })
    }

    @Test("path separators and empty names")
    func pathsAndEmpty() {
        #expect(MultipartFileName("../../etc/passwd").cleaned == ".._.._etc_passwd")
        #expect(MultipartFileName("a\\b").cleaned == "a_b")
        #expect(MultipartFileName("").asciiFallback == "document")
    }

    @Test("a printable ASCII name (the fast path) is cleaned exactly as the general path cleans it")
    func asciiFastPathAgrees() {
        let ascii = String(decoding: Array(0x20...0x7E).map(UInt8.init), as: UTF8.self)
        let fast = MultipartFileName(ascii)
        // One non-ASCII letter sends the same characters through the general path.
        let general = MultipartFileName(ascii + "é")
        #expect(general.cleaned == fast.cleaned + "é")
        #expect(general.asciiFallback == fast.asciiFallback + "_")
        #expect(general.percentEncoded == fast.percentEncoded + "%C3%A9")
        #expect(!fast.cleaned.contains("/") && !fast.cleaned.contains("\\"))
        #expect(!fast.asciiFallback.contains("\""))
    }
}
