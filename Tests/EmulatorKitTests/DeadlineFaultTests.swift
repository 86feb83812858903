import EmulatorKit
import Foundation
import Testing

/// The faults that exercise a client's deadlines and its reading of odd 200s.
@Suite("Faults: hang, throttle, odd 200s")
struct DeadlineFaultTests {
    private func uploadRequest(_ data: [UInt8] = Fixture.document) -> [UInt8] {
        Requests.upload(MultipartBuilder.valid(data: data))
    }

    /// Polls `condition` until it holds or `timeout` passes (then records an issue).
    private func waitUntil(
        _ what: String, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    @Test func hangHoldsTheConnectionSilentlyWhileOthersAreServedUntilCleared() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.hang)
            let hung = try RawHTTPConnection(port: emulator.port)
            try hung.send(uploadRequest())
            try await waitUntil("the upload is held") { emulator.stats().held == 1 }

            // The fault is used up: another connection is served while the first stays held.
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
            #expect(emulator.documents().count == 1)
            #expect(emulator.stats().held == 1)

            emulator.clearFaults()
            #expect(try hung.readsEOF(), "the held connection got bytes instead of being closed silently")
            let stats = emulator.stats()
            #expect(stats.held == 0)
            #expect(stats.rejected == 1)  // a held upload counts as rejected
            #expect(stats.requests == 2)
        }
    }

    @Test func hangForManyUploadsLastsUntilClearedOverHTTP() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.hang, count: 100)
            let first = try RawHTTPConnection(port: emulator.port)
            let second = try RawHTTPConnection(port: emulator.port)
            try first.send(uploadRequest())
            try second.send(uploadRequest())
            try await waitUntil("both uploads are held") { emulator.stats().held == 2 }

            #expect(try exchange(emulator, Requests.post("/_emulator/faults/clear", json: ""))?.status == 200)
            #expect(try first.readsEOF())
            #expect(try second.readsEOF())
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
            #expect(emulator.documents().count == 1)
        }
    }

    @Test func clearingDropsQueuedFaultsAndKeepsDocuments() async throws {
        try await withEmulator { emulator throws in
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
            emulator.inject(.status(500, message: "never seen"), count: 5)
            emulator.clearFaults()
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
            #expect(emulator.documents().count == 2)
        }
    }

    @Test func heldConnectionClosedByTheClientIsForgotten() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.hang)
            let hung = try RawHTTPConnection(port: emulator.port)
            try hung.send(uploadRequest())
            try await waitUntil("the upload is held") { emulator.stats().held == 1 }
            hung.close()
            try await waitUntil("the closed connection is forgotten") { emulator.stats().held == 0 }
        }
    }

    @Test func okNotJSONRecordsTheDocumentAndAnswersHTML() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.okNotJSON)
            let response = try #require(try exchange(emulator, uploadRequest()))
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(response.text.contains("<html>"))
            #expect(emulator.documents().first?.sha256 == Fixture.documentSHA256)
            #expect(try exchange(emulator, uploadRequest())?.json["uuid"] is String)
        }
    }

    @Test func okHugeBodyStreamsTheWholeBodyToAReader() async throws {
        try await withEmulator { emulator throws in
            let bytes = 3 * 1024 * 1024 + 5
            emulator.inject(.okHugeBody(bytes: bytes))
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(uploadRequest())
            let response = try #require(try connection.readResponse())
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == String(bytes))
            #expect(response.body.count == bytes)
            #expect(emulator.documents().count == 1)
            // Keep-alive: the same connection serves the next upload normally.
            try connection.send(uploadRequest())
            #expect(try connection.readResponse()?.json["uuid"] is String)
        }
    }

    @Test func okHugeBodyToAClientThatHangsUpDoesNotDisturbOthers() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.okHugeBody(bytes: 1024 * 1024 * 1024))
            let quitter = try RawHTTPConnection(port: emulator.port)
            try quitter.send(uploadRequest())
            try await waitUntil("the document is recorded") { emulator.documents().count == 1 }
            quitter.close()
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
            #expect(emulator.documents().count == 2)
        }
    }

    @Test func throttleReadsSlowlyThenAnswersNormally() async throws {
        try await withEmulator { emulator throws in
            // 4 MiB/s: what is left of 3 MB after the first read (at most about 1 MB) takes half a second.
            let document = [UInt8](repeating: 0x25, count: 3_000_000)
            emulator.inject(.throttle(bytesPerSecond: 4 * 1024 * 1024))
            let clock = ContinuousClock()
            let started = clock.now
            let response = try #require(try exchange(emulator, uploadRequest(document)))
            let elapsed = clock.now - started
            #expect(response.status == 200)
            #expect(emulator.documents().first?.size == document.count)
            #expect(elapsed >= .milliseconds(200), "read in \(elapsed): not throttled")
            // Only that upload was throttled.
            #expect(try exchange(emulator, uploadRequest())?.status == 200)
        }
    }

    @Test func newFaultsRoundTripThroughJSON() throws {
        let faults: [Fault] = [.hang, .okNotJSON, .okHugeBody(bytes: 52_428_800), .throttle(bytesPerSecond: 1_048_576)]
        for fault in faults {
            let data = try JSONEncoder().encode(fault)
            #expect(try JSONDecoder().decode(Fault.self, from: data) == fault)
        }
        let handWritten = Data(#"{"type":"okHugeBody","bytes":52428800}"#.utf8)
        #expect(try JSONDecoder().decode(Fault.self, from: handWritten) == .okHugeBody(bytes: 52_428_800))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Fault.self, from: Data(#"{"type":"throttle","bytesPerSecond":0}"#.utf8))
        }
    }
}
