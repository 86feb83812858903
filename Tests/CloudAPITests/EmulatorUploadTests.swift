import EmulatorKit
import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

/// The client against the real emulator on loopback.
@Suite("Cloud client against the emulator")
struct EmulatorUploadTests {
    private let simple = DocumentRequest(username: "alice", portname: "Floor2", title: "report.pdf")

    @Test("an upload with every option arrives intact")
    func uploadAllFields() async throws {
        try await withEmulator { emulator, client, directory in
            let content = patternBytes(count: 300_001)
            let path = try directory.file("payload.bin", bytes: content)
            let options = PrintOptions(
                copies: 3, duplex: .longEdge, grayscale: true, pageSize: "A4", orientation: .landscape, providerID: 12)
            let request = DocumentRequest(username: "bob.smith", portname: "Queue-1", title: "Quarterly report.docx", options: options)

            let receipt = try await client.uploadDocument(request, filePath: path, fileName: "Quarterly report.docx")

            let documents = emulator.documents()
            try #require(documents.count == 1)
            let received = documents[0]
            #expect(receipt == UploadReceipt(documentUUID: received.uuid, warning: nil))
            #expect(received.username == "bob.smith")
            #expect(received.portname == "Queue-1")
            #expect(received.title == "Quarterly report.docx")
            #expect(received.filename == "Quarterly report.docx")
            #expect(received.copies == 3)
            #expect(received.grayscale == true)
            #expect(received.duplex == 1)
            #expect(received.providerID == 12)
            #expect(received.outputPageSize == "A4")
            #expect(received.pageOrientation == 1)
            #expect(received.size == content.count)
            #expect(received.sha256 == SHA256Digest.hex(of: content))
            #expect(received.dataContentType == "application/octet-stream")
        }
    }

    @Test("without options only the required fields are sent")
    func uploadMinimal() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: Array("%PDF-1.4 tiny".utf8))
            _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            let received = try #require(emulator.documents().first)
            #expect(received.copies == nil)
            #expect(received.grayscale == nil)
            #expect(received.duplex == nil)
            #expect(received.providerID == nil)
            #expect(received.outputPageSize == nil)
            #expect(received.pageOrientation == nil)
            #expect(received.size == 13)
        }
    }

    @Test("a weird file name round-trips through filename*")
    func weirdFileName() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("x", bytes: [1, 2, 3])
            let weird = "Zpráva \"Q3\" 😀; name=evil\r\nX: y.pdf"
            _ = try await client.uploadDocument(simple, filePath: path, fileName: weird)
            let received = try #require(emulator.documents().first)
            #expect(received.filename == "Zpráva \"Q3\" 😀; name=evil__X: y.pdf")
            #expect(received.filename == MultipartFileName(weird).cleaned)
        }
    }

    @Test("an empty file makes a well-formed request (the cloud refuses empty documents: permanent)")
    func emptyFile() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("empty.pdf", bytes: [])
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "empty.pdf") }
            #expect(failure?.kind == .permanent)
            #expect(failure?.httpStatus == 400)
            #expect(failure?.message.contains("empty") == true)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test("a 20 MB upload streams through with the right checksum")
    func largeUpload() async throws {
        try await withEmulator { emulator, client, directory in
            let content = patternBytes(count: 20 * 1024 * 1024 + 17)
            let path = try directory.file("big.pdf", bytes: content)
            _ = try await client.uploadDocument(simple, filePath: path, fileName: "big.pdf")
            let received = try #require(emulator.documents().first)
            #expect(received.size == content.count)
            #expect(received.sha256 == SHA256Digest.hex(of: content))
        }
    }

    @Test("a file truncated during the upload fails transiently with a clear message")
    func fileShrinksDuringUpload() async throws {
        try await withEmulator { emulator, client, directory in
            // 64 MB sparse file: instant to make, long enough that the upload is still running when it is cut.
            let path = try directory.file("growing.pdf", bytes: [])
            #expect(truncate(path, 64 * 1024 * 1024) == 0)
            let request = simple
            let upload = Task { () -> DeliveryFailure? in
                do throws(DeliveryFailure) {
                    _ = try await client.uploadDocument(request, filePath: path, fileName: "growing.pdf")
                    return nil
                } catch {
                    return error
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while emulator.requestCount(path: "/api/v1/documents") == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(truncate(path, 1024) == 0)
            let failure = await upload.value
            #expect(failure?.kind == .transient)
            #expect(failure?.message.contains("changed size during the upload") == true)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test("parallel uploads share the pool and all arrive")
    func parallelUploads() async throws {
        try await withEmulator(maxConnections: 2) { emulator, client, directory in
            var paths: [String] = []
            for index in 0..<8 {
                paths.append(try directory.file("doc\(index).pdf", bytes: patternBytes(count: 50_000 + index, seed: UInt64(index + 1))))
            }
            let uuids = try await withThrowingTaskGroup(of: String.self) { group in
                for (index, path) in paths.enumerated() {
                    group.addTask {
                        try await client.uploadDocument(simple, filePath: path, fileName: "doc\(index).pdf").documentUUID ?? ""
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(uuids.count == 8)
            #expect(Set(emulator.documents().map(\.uuid)) == uuids)
            #expect(Set(emulator.documents().map(\.size)) == Set((0..<8).map { 50_000 + $0 }))
        }
    }

    @Test("503 is transient with the server's message")
    func serviceUnavailable() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: [1])
            emulator.inject(.status(503, message: "down"), count: 1)
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            #expect(failure?.kind == .transient)
            #expect(failure?.httpStatus == 503)
            #expect(failure?.message == "down")
            // The fault is used up: the next attempt goes through on the same client.
            _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(emulator.documents().count == 1)
        }
    }

    @Test("429 is transient and carries Retry-After")
    func tooManyRequests() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: [1])
            emulator.inject(.tooManyRequests(retryAfterSeconds: 7), count: 1)
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            #expect(failure?.kind == .transient)
            #expect(failure?.httpStatus == 429)
            #expect(failure?.retryAfterSeconds == 7)
        }
    }

    @Test("a reset connection is transient, without a status")
    func resetConnection() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: patternBytes(count: 2_000_000))
            emulator.inject(.resetConnection, count: 1)
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            #expect(failure?.kind == .transient)
            #expect(failure?.httpStatus == nil)
            #expect(failure?.message.contains("127.0.0.1") == true)
            _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(emulator.documents().count == 1)
        }
    }

    @Test("400 is permanent with the server's message")
    func badRequest() async throws {
        try await withEmulator { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: [1])
            emulator.inject(.status(400, message: "bad"), count: 1)
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            #expect(failure?.kind == .permanent)
            #expect(failure?.httpStatus == 400)
            #expect(failure?.message == "bad")
        }
    }

    @Test("a wrong API key is a permanent 403 that points at the key file and never shows a key")
    func wrongAPIKey() async throws {
        try await withEmulator(apiKey: "wrong-key-77") { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: [1])
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            #expect(failure?.kind == .permanent)
            #expect(failure?.httpStatus == 403)
            #expect(failure?.message.contains("check cloud.api_key_file") == true)
            #expect(failure?.message.contains("wrong-key-77") == false)
            let versionFailure = await expectFailure { _ = try await client.version() }
            #expect(versionFailure?.httpStatus == 403)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test("version() reads the server's version")
    func version() async throws {
        try await withEmulator { _, client, _ in
            let version = try await client.version()
            #expect(version.version == "emulator-1.0")
            #expect(version.rawJSON.contains("emulator-1.0"))
        }
    }

    @Test("a missing document file is permanent and sends nothing")
    func missingFile() async throws {
        try await withEmulator { emulator, client, directory in
            let path = directory.url.appendingPathComponent("gone.pdf").path
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "gone.pdf") }
            #expect(failure?.kind == .permanent)
            #expect(failure?.message.contains(path) == true)
            #expect(emulator.requestCount(path: "/api/v1/documents") == 0)
        }
    }

    @Test("a refused connection is transient and names the host")
    func connectionRefused() async throws {
        // Bound but not listening: connections are refused.
        let reserved = try ReservedPort()
        let url = "http://127.0.0.1:\(reserved.port)"
        let client = try CloudClient(configuration: .init(baseURL: url, apiKey: Secret(EmulatorClientFixture.apiKey)))
        let failure = await expectFailure { _ = try await client.version() }
        try await client.shutdown()
        #expect(failure?.kind == .transient)
        #expect(failure?.httpStatus == nil)
        #expect(failure?.message.contains("refused") == true)
        #expect(failure?.message.contains(String(url.dropFirst("http://".count))) == true)
        withExtendedLifetime(reserved) {}
    }
}
