import EmulatorKit
import Foundation
import SpoolbridgeCore
import Synchronization
import Testing

@testable import CloudAPI

/// A token source that hands out `t1`, then `t2`, … one per rejection, and records what it was told.
final class CountingTokenSource: BearerTokenSource {
    private let state = Mutex((generation: 1, rejected: [String]()))

    func currentAccessToken() async -> BearerTokenAnswer {
        .token(Secret("access-token-\(state.withLock { $0.generation })"))
    }

    func accessTokenWasRejected(_ token: Secret) async -> Bool {
        state.withLock {
            $0.rejected.append(token.exposedValue)
            $0.generation += 1
        }
        return true
    }

    var rejected: [String] { state.withLock { $0.rejected } }
}

/// A source without a token (not registered): nothing is sent at all.
struct NoTokenSource: BearerTokenSource {
    func currentAccessToken() async -> BearerTokenAnswer { .unavailable(reason: "not registered: run spoolbridge device register") }
    func accessTokenWasRejected(_ token: Secret) async -> Bool { false }
}

@Suite("Bearer token: one refresh and one retry after a 401")
struct BearerRetryTests {
    private let request = DocumentRequest(username: "alice", portname: "Floor2", title: "report.pdf")

    private func client(_ emulator: CloudEmulator, _ source: any BearerTokenSource) throws -> CloudClient {
        try CloudClient(
            configuration: .init(baseURL: emulator.baseURL, apiKey: Secret(EmulatorClientFixture.apiKey)), tokenSource: source)
    }

    @Test("401 → the source refreshes once → the upload is streamed again and succeeds")
    func retryAfterOne401() async throws {
        try await withEmulator { emulator, _, directory in
            let source = CountingTokenSource()
            let client = try client(emulator, source)
            let path = try directory.file("a.pdf", bytes: Array(repeating: 7, count: 100_000))
            emulator.inject(.status(401, message: "token expired"), count: 1)
            _ = try await client.uploadDocument(request, filePath: path, fileName: "a.pdf")
            #expect(source.rejected == ["access-token-1"])
            let documents = emulator.documents()
            #expect(documents.count == 1)
            #expect(documents.first?.size == 100_000)
            try await client.shutdown()
        }
    }

    @Test("a second 401 is .unauthorized, not a job failure")
    func second401IsUnauthorized() async throws {
        try await withEmulator { emulator, _, directory in
            let source = CountingTokenSource()
            let client = try client(emulator, source)
            let path = try directory.file("a.pdf", bytes: Array("%PDF-1.4".utf8))
            emulator.inject(.status(401, message: "token expired"), count: 2)
            do {
                _ = try await client.uploadDocument(request, filePath: path, fileName: "a.pdf")
                Issue.record("expected a failure")
            } catch let error as DeliveryFailure {
                #expect(error.kind == .unauthorized)
                #expect(error.httpStatus == 401)
                #expect(!error.message.contains("access-token"))
            } catch {
                Issue.record("unexpected \(error)")
            }
            #expect(emulator.documents().isEmpty)
            try await client.shutdown()
        }
    }

    @Test("without a token nothing is sent and the failure says what to run")
    func noTokenNoRequest() async throws {
        try await withEmulator { emulator, _, _ in
            let client = try client(emulator, NoTokenSource())
            do {
                _ = try await client.version()
                Issue.record("expected a failure")
            } catch let error as DeliveryFailure {
                #expect(error.kind == .unauthorized)
                #expect(error.message.contains("spoolbridge device register"))
            } catch {
                Issue.record("unexpected \(error)")
            }
            #expect(emulator.requestCount(path: "/api/v1") == 0)
            try await client.shutdown()
        }
    }

    @Test("form fields are percent-encoded")
    func formEncoding() {
        #expect(FormEncoding.body([("a b", "x=y&z"), ("ü", "~._-")]) == "a%20b=x%3Dy%26z&%C3%BC=~._-")
    }
}
