import Foundation
import NIOCore
import SpoolbridgeCore
import Testing

@testable import CloudAPI

@Suite("Streamed upload body")
struct UploadBodyTests {
    private func form() -> MultipartForm {
        MultipartForm(
            fields: MultipartForm.documentFields(for: DocumentRequest(username: "u", portname: "p", title: "t.pdf")),
            fileName: MultipartFileName("t.pdf"))
    }

    @Test("the body is head, the file's bytes and tail, exactly Content-Length long")
    func wholeBody() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let content = patternBytes(count: 1_000_003)
        let file = try await PayloadFile.open(path: try directory.file("doc.pdf", bytes: content))
        let form = form()
        var received: [UInt8] = []
        var chunks = 0
        for try await chunk in UploadBody(form: form, file: file, chunkSize: 64 * 1024, largestChunkSize: 64 * 1024) {
            #expect(chunk.readableBytes <= 64 * 1024 || chunks == 0)
            received += chunk.readableBytesView
            chunks += 1
        }
        await file.close()
        #expect(Int64(received.count) == form.contentLength(fileSize: Int64(content.count)))
        #expect(received == form.head + content + form.tail)
        #expect(chunks == 2 + (content.count + 65_535) / 65_536)
    }

    @Test("chunks double while the socket takes them quickly, up to the largest size; slowly taken ones stay as they are")
    func chunksGrowOnAFastLink() {
        let largest = UploadBody.defaultLargestChunkSize
        var size = UploadBody.defaultChunkSize
        #expect(UploadBody.chunkSize(after: size, askedAgainAfter: nil, largest: largest) == size, "the first chunk")
        var sizes: [Int] = []
        for _ in 0..<4 {
            size = UploadBody.chunkSize(after: size, askedAgainAfter: .milliseconds(2), largest: largest)
            sizes.append(size)
        }
        #expect(sizes == [512 * 1024, largest, largest, largest])
        #expect(UploadBody.chunkSize(after: 256 * 1024, askedAgainAfter: .milliseconds(500), largest: largest) == 256 * 1024)
        #expect(UploadBody.chunkSize(after: 256 * 1024, askedAgainAfter: UploadBody.growthInterval, largest: largest) == 256 * 1024)
    }

    @Test("a small file read whole at open makes the whole body in one buffer; a larger one is streamed")
    func smallFileWhole() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let form = form()
        for size in [0, 20_480, PayloadFile.wholeReadLimit, PayloadFile.wholeReadLimit + 1] {
            let content = patternBytes(count: size)
            let file = try await PayloadFile.open(path: try directory.file("doc-\(size)", bytes: content))
            let whole = UploadBody.whole(form: form, file: file)
            var pieces: [[UInt8]] = []
            for try await chunk in UploadBody(form: form, file: file) {
                pieces.append(Array(chunk.readableBytesView))
            }
            await file.close()
            if size <= PayloadFile.wholeReadLimit {
                #expect(whole.map { Array($0.readableBytesView) } == form.head + content + form.tail, "size \(size)")
            } else {
                #expect(whole == nil, "size \(size)")
            }
            // The streamed form stays right for every size: head, the file in chunks, tail.
            #expect(pieces.joined().elementsEqual(form.head + content + form.tail), "size \(size)")
        }
    }

    @Test("an empty file is sent as an empty data part")
    func emptyFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try await PayloadFile.open(path: try directory.file("empty", bytes: []))
        let form = form()
        var received: [UInt8] = []
        for try await chunk in UploadBody(form: form, file: file) { received += chunk.readableBytesView }
        await file.close()
        #expect(received == form.head + form.tail)
    }

    @Test("a file that shrinks during the upload fails with a clear message")
    func shrinks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.file("doc", bytes: patternBytes(count: 300_000))
        let file = try await PayloadFile.open(path: path)
        var iterator = UploadBody(form: form(), file: file, chunkSize: 100_000).makeAsyncIterator()
        _ = try await iterator.next()  // head
        _ = try await iterator.next()  // first chunk
        #expect(truncate(path, 150_000) == 0)
        _ = try await iterator.next()  // 100_000..<150_000 still there
        let error = await #expect(throws: PayloadReadError.self) { _ = try await iterator.next() }
        #expect(error?.message.contains("changed size during the upload") == true)
        await file.close()
    }

    @Test("a file that grows during the upload fails instead of being cut off")
    func grows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.file("doc", bytes: patternBytes(count: 1000))
        let file = try await PayloadFile.open(path: path)
        var iterator = UploadBody(form: form(), file: file).makeAsyncIterator()
        _ = try await iterator.next()  // head
        _ = try await iterator.next()  // the whole file
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3]))
        try handle.close()
        await #expect(throws: PayloadReadError.self) { _ = try await iterator.next() }
        await file.close()
    }

    @Test("reads after close fail instead of touching a recycled descriptor")
    func readAfterClose() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try await PayloadFile.open(path: try directory.file("doc", bytes: [1, 2, 3]))
        await file.close()
        await #expect(throws: PayloadReadError.self) { _ = try await file.read(offset: 0, maximumCount: 3) }
    }

    @Test("a missing file is permanent, a directory is permanent")
    func openFailures() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for path in [directory.url.appendingPathComponent("missing").path, directory.url.path] {
            do {
                _ = try await PayloadFile.open(path: path)
                Issue.record("opening \(path) should fail")
            } catch {
                #expect(error.kind == .permanent)
                #expect(error.message.contains(path))
            }
        }
    }
}
