import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("Multipart form")
struct MultipartFormTests {
    let boundary = "spoolbridge-TESTBOUNDARY0123456789abcdefghijk"

    @Test("head and tail bytes of a simple request are exact")
    func simpleRequestBytes() throws {
        let request = DocumentRequest(username: "alice", portname: "Queue", title: "report.pdf")
        let form = try #require(
            MultipartForm(
                fields: MultipartForm.documentFields(for: request), fileName: MultipartFileName("report.pdf"),
                boundary: boundary))
        let expectedHead =
            "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"
            + "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"portname\"\r\n\r\nQueue\r\n"
            + "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"title\"\r\n\r\nreport.pdf\r\n"
            + "--\(boundary)\r\n"
            + "Content-Disposition: form-data; name=\"data\"; filename=\"report.pdf\"; filename*=UTF-8''report.pdf\r\n"
            + "Content-Type: application/octet-stream\r\n\r\n"
        #expect(String(decoding: form.head, as: UTF8.self) == expectedHead)
        #expect(form.head == Array(expectedHead.utf8))
        #expect(form.tail == Array("\r\n--\(boundary)--\r\n".utf8))
        #expect(form.contentType == "multipart/form-data; boundary=\(boundary)")
    }

    @Test("all optional fields come in the documented order with the cloud's encodings")
    func fieldOrderAndValues() {
        let options = PrintOptions(
            copies: 3, duplex: .shortEdge, grayscale: false, pageSize: "595x842", orientation: .landscape, providerID: 7)
        let fields = MultipartForm.documentFields(
            for: DocumentRequest(username: "u", portname: "p", title: "t.docx", options: options))
        #expect(fields.map(\.name) == [
            "username", "portname", "title", "providerid", "copies", "grayscale", "duplex", "outputpagesize",
            "pageorientation",
        ])
        #expect(fields.map(\.value) == ["u", "p", "t.docx", "7", "3", "false", "2", "595x842", "1"])

        let gray = MultipartForm.documentFields(
            for: DocumentRequest(username: "u", portname: "p", title: "t", options: PrintOptions(duplex: .simplex, grayscale: true)))
        #expect(gray.map(\.name) == ["username", "portname", "title", "grayscale", "duplex"])
        #expect(gray.map(\.value) == ["u", "p", "t", "true", "0"])
    }

    @Test("Content-Length is head + file + tail")
    func contentLength() throws {
        let form = try #require(
            MultipartForm(fields: [.init(name: "a", value: "b")], fileName: MultipartFileName("x"), boundary: boundary))
        #expect(form.contentLength(fileSize: 0) == Int64(form.head.count + form.tail.count))
        #expect(form.contentLength(fileSize: 200_000_000) == Int64(form.head.count) + 200_000_000 + Int64(form.tail.count))
        #expect(form.contentLength(fileSize: 5_000_000_000) > Int64(Int32.max))
    }

    @Test("a boundary that occurs in a value or the file name is refused")
    func boundaryCollision() {
        let name = MultipartFileName("x")
        #expect(MultipartForm(fields: [.init(name: "title", value: "a\(boundary)b")], fileName: name, boundary: boundary) == nil)
        #expect(MultipartForm(fields: [], fileName: MultipartFileName("\(boundary).pdf"), boundary: boundary) == nil)
        #expect(MultipartForm(fields: [], fileName: name, boundary: "bad boundary") == nil)
        #expect(MultipartForm(fields: [], fileName: name, boundary: String(repeating: "a", count: 71)) == nil)
    }

    @Test("random boundaries are long, valid and different")
    func randomBoundaries() {
        let forms = (0..<20).map { _ in
            MultipartForm(fields: [.init(name: "title", value: "t")], fileName: MultipartFileName("x"))
        }
        let boundaries = Set(forms.map(\.boundary))
        #expect(boundaries.count == 20)
        for boundary in boundaries {
            #expect(boundary.count >= 32 + 12)
            #expect(MultipartForm.isValidBoundary(boundary))
        }
    }

    @Test("text values with CR/LF and quotes stay in the part body, never in a header line")
    func valuesStayInBodies() throws {
        let request = DocumentRequest(
            username: "eve\r\nContent-Type: text/evil", portname: "q\"\\", title: "multi\r\n--line\r\n\r\ntitle")
        let form = try #require(
            MultipartForm(
                fields: MultipartForm.documentFields(for: request), fileName: MultipartFileName("x"), boundary: boundary))
        let text = String(decoding: form.head, as: UTF8.self)
        #expect(text.contains("name=\"username\"\r\n\r\neve\r\nContent-Type: text/evil\r\n--\(boundary)\r\n"))
        // Exactly the header lines we wrote: one Content-Disposition per part, one Content-Type (the data part).
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.filter { $0.hasPrefix("--\(boundary)") }.count == 4)
        #expect(lines.filter { $0.hasPrefix("Content-Disposition:") }.count == 4)
    }
}
