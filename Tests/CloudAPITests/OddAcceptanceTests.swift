import EmulatorKit
import Foundation
import SpoolbridgeCore
import Testing

@testable import CloudAPI

/// A 2xx is a delivery, whatever its body: never a failure that would send the document again.
@Suite("2xx answers that are not the expected JSON")
struct OddAcceptanceTests {
    private let simple = DocumentRequest(username: "alice", portname: "Floor2", title: "report.pdf")

    @Test("a 200 with an HTML page is a receipt without a uuid, with a warning")
    func htmlPage() async throws {
        try await withEmulator(stallTimeout: .seconds(5)) { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: patternBytes(count: 5_000))
            emulator.inject(.okNotJSON)
            let receipt = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(receipt.documentUUID == nil)
            let warning = try #require(receipt.warning)
            #expect(warning.hasPrefix("the cloud answered 200 but the body was not JSON (text/html, "))
            #expect(warning.hasSuffix("the document was accepted, its uuid is unknown"))
            #expect(emulator.documents().count == 1)
        }
    }

    @Test("a 200 with a 50 MB body is not read: a receipt without a uuid, quickly, and the client carries on")
    func hugeBody() async throws {
        try await withEmulator(stallTimeout: .seconds(5)) { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: patternBytes(count: 5_000))
            emulator.inject(.okHugeBody(bytes: 50 * 1024 * 1024))
            let clock = ContinuousClock()
            let started = clock.now
            let receipt = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            let elapsed = clock.now - started
            #expect(receipt.documentUUID == nil)
            #expect(receipt.warning?.contains("larger than the 65536-byte answer limit (text/plain, 52428800 bytes)") == true)
            #expect(elapsed < .seconds(2), "took \(elapsed): was the body read?")
            #expect(emulator.documents().count == 1)

            // The cut connection is not reused: the next upload is answered normally.
            let next = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(next.documentUUID != nil)
            #expect(emulator.documents().count == 2)
        }
    }
}
