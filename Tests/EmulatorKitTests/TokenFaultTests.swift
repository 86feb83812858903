import EmulatorKit
import Foundation
import Testing

@Suite("Faults on token requests")
struct TokenFaultTests {
    @Test func statusFaultLeavesTheRefreshTokenUnspent() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let refresh = try #require(try flow.obtainTokens()["refresh_token"] as? String)
            emulator.inject(.status(503, message: "token service down"), count: 2, into: .tokenRequests)
            // Token faults leave uploads alone, and upload faults leave token requests alone.
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1])))?.status == 200)
            for _ in 0..<2 { #expect(try flow.refresh(refresh).status == 503) }
            #expect(try flow.refresh(refresh).status == 200)
            #expect(emulator.refreshTokenReuseCount == 0)
            #expect(emulator.tokenStats().refreshes == 1)
        }
    }

    @Test func droppedAnswerSpendsTheTokenSoResendingIsReuse() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let refresh = try #require(try flow.obtainTokens()["refresh_token"] as? String)
            emulator.inject(.dropAnswer, into: .tokenRequests)
            let lost = try exchange(emulator, Requests.form("/oauth/v1/token", [
                ("client_id", flow.clientID), ("client_secret", Requests.apiKey), ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
            ]))
            #expect(lost == nil)
            #expect(emulator.tokenStats().refreshes == 1)
            #expect(emulator.refreshTokenReuseCount == 0)
            // A client that resends the token it sent into the void trips reuse detection.
            #expect(try flow.refresh(refresh).oauthError == "invalid_grant")
            #expect(emulator.refreshTokenReuseCount == 1)
            #expect(emulator.tokenFamilies().first?.isRevoked == true)
        }
    }

    @Test func okNotJSONOnARefreshStillSpendsTheToken() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let refresh = try #require(try flow.obtainTokens()["refresh_token"] as? String)
            emulator.inject(.okNotJSON, into: .tokenRequests)
            // A proxy's page instead of the tokens: a 200 the client cannot read, yet the server rotated.
            let page = try flow.refresh(refresh)
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(emulator.tokenStats().refreshes == 1)
            #expect(try flow.refresh(refresh).oauthError == "invalid_grant")
            #expect(emulator.refreshTokenReuseCount == 1)
        }
    }

    @Test func tokenFaultsOverTheControlEndpoint() async throws {
        try await withEmulator { emulator throws in
            let body = #"{"fault": {"type": "status", "status": 500, "message": "boom"}, "count": 1, "target": "tokenRequests"}"#
            #expect(try exchange(emulator, Requests.post("/_emulator/faults", json: body))?.status == 200)
            let flow = TokenFlow(emulator: emulator)
            let code = try #require(try flow.register().json["device_code"] as? String)  // register takes no token fault
            #expect(try flow.poll(deviceCode: code).status == 500)
            #expect(try flow.poll(deviceCode: code).status == 200)
            let badTarget = #"{"fault": {"type": "hang"}, "target": "everything"}"#
            #expect(try exchange(emulator, Requests.post("/_emulator/faults", json: badTarget))?.status == 400)
        }
    }

    @Test func dropAnswerOnUploadRecordsTheDocument() async throws {
        try await withEmulator { emulator throws in
            emulator.inject(.dropAnswer)
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: Fixture.document))) == nil)
            #expect(emulator.documents().map(\.sha256) == [Fixture.documentSHA256])
        }
    }
}
