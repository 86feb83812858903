import EmulatorKit
import Foundation
import Testing

@Suite("Injected faults")
struct FaultTests {
    private func upload(_ emulator: CloudEmulator) throws -> RawHTTPResponse? {
        try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: Fixture.document)))
    }

    @Test func statusFaultAnswersErrorJSONForCountRequests() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.status(503, message: "maintenance window"), count: 2)
            for _ in 0..<2 {
                let response = try #require(try upload(emulator))
                #expect(response.status == 503)
                #expect(response.json["code"] as? Int == 503)
                #expect(response.errorMessage == "maintenance window")
            }
            #expect(try upload(emulator)?.status == 200)
            #expect(emulator.documents().count == 1)
            #expect(emulator.requestCount(path: "/api/v1/documents") == 3)
            #expect(emulator.stats().rejected == 2)
        }
    }

    @Test func faultsApplyOnlyToUploadsInFIFOOrder() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.status(500, message: "first"))
            emulator.inject(.status(502, message: "second"))
            #expect(try exchange(emulator, Requests.get("/api/v1/version"))?.status == 200)
            #expect(try upload(emulator)?.status == 500)
            #expect(try upload(emulator)?.status == 502)
            #expect(try upload(emulator)?.status == 200)
        }
    }

    @Test func tooManyRequestsCarriesRetryAfter() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.tooManyRequests(retryAfterSeconds: 7))
            let response = try #require(try upload(emulator))
            #expect(response.status == 429)
            #expect(response.header("Retry-After") == "7")
            #expect(response.json["code"] as? Int == 429)
            #expect(emulator.documents().isEmpty)
        }
    }

    @Test func resetClosesTheConnectionWithoutAnAnswer() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.resetConnection)
            let connection = try RawHTTPConnection(port: emulator.port)
            try connection.send(Requests.upload(MultipartBuilder.valid(data: Fixture.document)))
            #expect(try connection.readResponse() == nil)
            #expect(emulator.documents().isEmpty)
            #expect(emulator.requestCount(path: "/api/v1/documents") == 1)
            // One-shot: the next upload is served.
            #expect(try upload(emulator)?.status == 200)
        }
    }

    @Test func delayHoldsTheAnswerThenProcessesNormally() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.delay(milliseconds: 300))
            let clock = ContinuousClock()
            let started = clock.now
            let response = try #require(try upload(emulator))
            let elapsed = clock.now - started
            #expect(response.status == 200)
            #expect(elapsed >= .milliseconds(300))
            #expect(emulator.documents().first?.sha256 == Fixture.documentSHA256)
        }
    }

    @Test func resetForgetsDocumentsAndFaults() async throws {
        try await withEmulator { emulator throws in
            #expect(try upload(emulator)?.status == 200)
            emulator.inject(.status(500, message: "never seen"), count: 5)
            emulator.reset()
            #expect(emulator.documents().isEmpty)
            #expect(try upload(emulator)?.status == 200)
            #expect(emulator.documents().count == 1)
        }
    }

    @Test func waitForDocumentsThrowsAtTheDeadline() async throws {
        try await withEmulator { emulator throws in
            await #expect(throws: EmulatorError.self) {
                _ = try await emulator.waitForDocuments(count: 1, timeout: .milliseconds(50))
            }
        }
    }

    @Test func faultJSONRoundTrips() throws {
        let faults: [Fault] = [
            .status(503, message: "down"), .tooManyRequests(retryAfterSeconds: 2), .resetConnection, .delay(milliseconds: 40),
        ]
        for fault in faults {
            let data = try JSONEncoder().encode(fault)
            #expect(try JSONDecoder().decode(Fault.self, from: data) == fault)
        }
        let handWritten = Data(#"{"type":"status","status":500,"message":"boom"}"#.utf8)
        #expect(try JSONDecoder().decode(Fault.self, from: handWritten) == .status(500, message: "boom"))
    }
}
