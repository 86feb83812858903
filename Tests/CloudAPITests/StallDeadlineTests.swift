import EmulatorKit
import Foundation
import SpoolbridgeCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import CloudAPI

/// Deadlines against the emulator: a silent or stuck cloud frees the upload within the stall
/// timeout; a slow one that keeps moving is never cut off, however long it takes in total.
@Suite("Stall deadlines")
struct StallDeadlineTests {
    private let simple = DocumentRequest(username: "alice", portname: "Floor2", title: "report.pdf")
    private let stall = Duration.seconds(1)
    /// Scheduling slack on a shared machine; a trip is expected between the stall and stall + this.
    private let margin = Duration.seconds(2)

    private func host(_ emulator: CloudEmulator) -> String {
        "127.0.0.1:\(emulator.port)"
    }

    /// A sparse file: instant to make, as large as a test needs.
    private func sparseFile(_ directory: TemporaryDirectory, bytes: Int) throws -> String {
        let path = try directory.file("large.pdf", bytes: [])
        #expect(truncate(path, off_t(bytes)) == 0)
        return path
    }

    @Test("a cloud that reads the document and never answers trips the stall deadline; once cleared, the upload goes through")
    func hungServer() async throws {
        try await withEmulator(stallTimeout: stall) { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: patternBytes(count: 10_000))
            emulator.inject(.hang, count: 1_000)
            let clock = ContinuousClock()
            let started = clock.now
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf") }
            let elapsed = clock.now - started
            #expect(failure?.kind == .transient)
            #expect(failure?.httpStatus == nil)
            #expect(
                failure?.message
                    == "no answer from \(host(emulator)) within 1 s after the document was sent (delivery.stall_seconds)")
            #expect(elapsed >= stall && elapsed < stall + margin, "tripped after \(elapsed)")

            emulator.clearFaults()
            #expect(emulator.stats().held == 0)
            let receipt = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(receipt.documentUUID == emulator.documents().first?.uuid)
            #expect(receipt.warning == nil)
            #expect(emulator.documents().count == 1)
        }
    }

    @Test("a cloud that stops reading mid-document trips the stall deadline while sending")
    func stopsReading() async throws {
        try await withEmulator(stallTimeout: stall) { emulator, client, directory in
            // Far more than the socket buffers on both ends hold, so the client must wait for the server.
            let path = try sparseFile(directory, bytes: 64 * 1024 * 1024)
            emulator.inject(.throttle(bytesPerSecond: 1))
            let clock = ContinuousClock()
            let started = clock.now
            let failure = await expectFailure { _ = try await client.uploadDocument(simple, filePath: path, fileName: "big.pdf") }
            let elapsed = clock.now - started
            #expect(failure?.kind == .transient)
            #expect(
                failure?.message
                    == "sending the document to \(host(emulator)) stalled: no byte moved for 1 s (delivery.stall_seconds)")
            #expect(elapsed >= stall && elapsed < stall + margin, "tripped after \(elapsed)")
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test("an answer slower than usual but within the stall timeout is waited for")
    func slowAnswer() async throws {
        try await withEmulator(stallTimeout: stall) { emulator, client, directory in
            let path = try directory.file("a.pdf", bytes: [1, 2, 3])
            emulator.inject(.delay(milliseconds: 500))
            let receipt = try await client.uploadDocument(simple, filePath: path, fileName: "a.pdf")
            #expect(receipt.documentUUID != nil)
            #expect(emulator.documents().count == 1)
        }
    }

    @Test("an upload that takes longer than the stall timeout in total, but keeps moving, goes through")
    func slowButMoving() async throws {
        // A 2 s stall here: after the last byte leaves the client, the server still has to read what
        // the kernel buffered (a few MB on loopback) at the throttled rate before it can answer, and
        // that must stay well inside the stall on a loaded machine.
        let stall = Duration.seconds(2)
        try await withEmulator(stallTimeout: stall) { emulator, client, directory in
            let size = 96 * 1024 * 1024
            let path = try sparseFile(directory, bytes: size)
            // 32 MiB/s: a piece moves every few milliseconds, the whole upload takes about three seconds.
            emulator.inject(.throttle(bytesPerSecond: 32 * 1024 * 1024))
            let clock = ContinuousClock()
            let started = clock.now
            let receipt = try await client.uploadDocument(simple, filePath: path, fileName: "big.pdf")
            let elapsed = clock.now - started
            #expect(elapsed > stall, "the throttle did not slow the upload past the stall timeout (\(elapsed))")
            let received = try #require(emulator.documents().first)
            #expect(receipt.documentUUID == received.uuid)
            #expect(received.size == size)
        }
    }
}
