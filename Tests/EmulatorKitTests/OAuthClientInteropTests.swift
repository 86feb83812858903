import CloudAPI
import EmulatorKit
import Foundation
import SpoolbridgeCore
import Synchronization
import Testing

/// The project's real client (`CloudAPI.OAuthClient`, `CloudClient`) against the token service over loopback.
@Suite("OAuthClient against the emulator's token service")
struct OAuthClientInteropTests {
    static let deviceID = "spoolbridge-device-0c1d"

    private func withClient(
        _ configuration: CloudEmulator.Configuration = .init(), apiKey: String = Requests.apiKey,
        _ body: (CloudEmulator, OAuthClient) async throws -> Void
    ) async throws {
        try await withEmulator(configuration) { emulator in
            let client = try OAuthClient(configuration: .init(
                oauthURL: emulator.oauthURL, apiURL: emulator.baseURL, apiKey: Secret(apiKey), timeout: .seconds(20)))
            do {
                try await body(emulator, client)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    private func tokens(_ result: TokenGrantResult) throws -> OAuthTokens {
        guard case .tokens(let tokens) = result else { throw RawHTTPConnection.Failure(description: "expected tokens, got \(result)") }
        return tokens
    }

    private func refusal(_ result: TokenGrantResult) throws -> OAuthRefusal {
        guard case .refused(let refusal) = result else { throw RawHTTPConnection.Failure(description: "expected a refusal, got \(result)") }
        return refusal
    }

    @Test func registerPollUntilApprovedThenRotate() async throws {
        try await withClient(.init(accessTokenLifetime: .seconds(120), pendingAuthorizations: 2)) { emulator, client in
            let grant = try await client.register(clientID: Self.deviceID, description: "spoolbridge on test-host")
            #expect(grant.expiresInSeconds == 259_200)
            #expect(grant.state?.isEmpty == false)
            for _ in 0..<2 {
                let pending = try refusal(await client.token(clientID: Self.deviceID, deviceCode: grant.deviceCode))
                #expect(pending.isPending)
                #expect(!pending.isInvalidGrant)
            }
            let first = try tokens(await client.token(clientID: Self.deviceID, deviceCode: grant.deviceCode))
            #expect(first.expiresInSeconds == 120)

            let second = try tokens(await client.refresh(clientID: Self.deviceID, refreshToken: first.refreshToken))
            #expect(second.refreshToken != first.refreshToken)
            #expect(second.accessToken != first.accessToken)
            #expect(emulator.refreshTokenReuseCount == 0)

            // Sending the spent one again is what the daemon must never do: the server revokes the family.
            let reused = try refusal(await client.refresh(clientID: Self.deviceID, refreshToken: first.refreshToken))
            #expect(reused.isInvalidGrant)
            #expect(reused.httpStatus == 400)
            #expect(emulator.refreshTokenReuseCount == 1)
            let dead = try refusal(await client.refresh(clientID: Self.deviceID, refreshToken: second.refreshToken))
            #expect(dead.isInvalidGrant)
        }
    }

    @Test func wrongAPIKeyFailsRegistrationWithoutQuotingIt() async throws {
        try await withClient(apiKey: "a-wrong-api-key-123") { emulator, client in
            do {
                _ = try await client.register(clientID: Self.deviceID, description: "test")
                Issue.record("registration with a wrong key succeeded")
            } catch let error as OAuthError {
                #expect(error.message.contains("invalid_client"))
                #expect(!error.message.contains("a-wrong-api-key-123"))
            }
            #expect(emulator.tokenStats().registrations == 0)
        }
    }

    @Test func loginThenRefreshWithClientIDApi() async throws {
        try await withClient(.init(users: ["alice": "alice-password-1"])) { emulator, client in
            let pair = try tokens(await client.login(user: "alice", password: Secret("alice-password-1")))
            let rotated = try tokens(await client.refresh(clientID: "api", refreshToken: pair.refreshToken))
            #expect(rotated.refreshToken != pair.refreshToken)

            let wrong = try refusal(await client.login(user: "alice", password: Secret("not-alices-password")))
            #expect(wrong.httpStatus == 401)
            #expect(!wrong.description.contains("not-alices-password"))
            #expect(emulator.tokenStats().logins == 1)
        }
    }

    @Test func droppedRefreshAnswerIsNoAnswerThatMayHaveArrived() async throws {
        try await withClient { emulator, client in
            let grant = try await client.register(clientID: Self.deviceID, description: "")
            let pair = try tokens(await client.token(clientID: Self.deviceID, deviceCode: grant.deviceCode))
            emulator.inject(.dropAnswer, into: .tokenRequests)
            let lost = await client.refresh(clientID: Self.deviceID, refreshToken: pair.refreshToken)
            guard case .noAnswer(_, let mayHaveArrived) = lost else {
                Issue.record("expected no answer, got \(lost)")
                return
            }
            #expect(mayHaveArrived)
            #expect(emulator.tokenStats().refreshes == 1)  // it did arrive: the token is spent
        }
    }

    /// Pins a hazard for DeviceAuth: OAuthRefusal's doc says a refusal "rotated nothing", but a 2xx
    /// the client cannot read (`invalid_response`) comes after the server rotated: that token is spent.
    @Test func unreadable200IsARefusalThoughTheTokenWasSpent() async throws {
        try await withClient { emulator, client in
            let grant = try await client.register(clientID: Self.deviceID, description: "")
            let pair = try tokens(await client.token(clientID: Self.deviceID, deviceCode: grant.deviceCode))
            emulator.inject(.okNotJSON, into: .tokenRequests)
            let unreadable = try refusal(await client.refresh(clientID: Self.deviceID, refreshToken: pair.refreshToken))
            #expect(unreadable.error == "invalid_response")
            #expect(unreadable.httpStatus == 200)
            #expect(!unreadable.isInvalidGrant)
            #expect(emulator.tokenStats().refreshes == 1)  // spent on the server
        }
    }

    @Test func refusedConnectionIsNoAnswerThatNeverArrived() async throws {
        let emulator = try await CloudEmulator.start()
        let oauthURL = emulator.oauthURL
        try await emulator.shutdown()
        let client = try OAuthClient(configuration: .init(
            oauthURL: oauthURL, apiURL: emulator.baseURL, apiKey: Secret(Requests.apiKey), timeout: .seconds(10)))
        let result = await client.refresh(clientID: Self.deviceID, refreshToken: Secret("emu-rt-some-token"))
        try await client.shutdown()
        guard case .noAnswer(let reason, let mayHaveArrived) = result else {
            Issue.record("expected no answer, got \(result)")
            return
        }
        #expect(!mayHaveArrived, "a refused connection proves the token was not sent: \(reason)")
    }

    @Test func cloudClientRefreshesOnceAfterAnExpiredAccessToken() async throws {
        try await withClient(.init(requireBearer: true)) { emulator, oauth in
            let grant = try await oauth.register(clientID: Self.deviceID, description: "test")
            let pair = try tokens(await oauth.token(clientID: Self.deviceID, deviceCode: grant.deviceCode))
            let source = RotatingTokenSource(oauth: oauth, clientID: Self.deviceID, tokens: pair)
            let cloud = try CloudClient(
                configuration: .init(baseURL: emulator.baseURL, apiKey: Secret(Requests.apiKey)), tokenSource: source)
            do {
                _ = try await cloud.version()
                #expect(source.refreshCount == 0)
                emulator.expireAccessTokens()
                _ = try await cloud.version()  // 401, one refresh, one retry
                #expect(source.refreshCount == 1)
                #expect(emulator.tokenStats().bearerRejections == 1)
                #expect(emulator.refreshTokenReuseCount == 0)
                try await cloud.shutdown()
            } catch {
                try? await cloud.shutdown()
                throw error
            }
        }
    }
}

/// The least a token source must do: hand out the current access token, refresh with rotation on a 401.
final class RotatingTokenSource: BearerTokenSource {
    private let oauth: OAuthClient
    private let clientID: String
    private let state: Mutex<(tokens: OAuthTokens, refreshes: Int)>

    init(oauth: OAuthClient, clientID: String, tokens: OAuthTokens) {
        self.oauth = oauth
        self.clientID = clientID
        self.state = Mutex((tokens, 0))
    }

    var refreshCount: Int { state.withLock { $0.refreshes } }

    func currentAccessToken() async -> BearerTokenAnswer {
        .token(state.withLock { $0.tokens.accessToken })
    }

    func accessTokenWasRejected(_ token: Secret) async -> Bool {
        let refreshToken = state.withLock { $0.tokens.refreshToken }
        guard case .tokens(let fresh) = await oauth.refresh(clientID: clientID, refreshToken: refreshToken) else { return false }
        state.withLock {
            $0.tokens = fresh
            $0.refreshes += 1
        }
        return true
    }
}
