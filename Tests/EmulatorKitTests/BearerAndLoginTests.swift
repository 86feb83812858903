import EmulatorKit
import Foundation
import Testing

@Suite("Bearer tokens on /api/v1, and /login")
struct BearerAndLoginTests {
    static let users = ["alice": "alice-password-1", "bob": "p:with:colons"]

    private func login(_ emulator: CloudEmulator, user: String, password: String, apiKey: String? = Requests.apiKey) throws
        -> RawHTTPResponse
    {
        try requireResponse(
            exchange(emulator, Requests.form("/api/v1/login", [("authtype", "0"), ("userid", user), ("password", password)], apiKey: apiKey)))
    }

    @Test func withoutRequireBearerNoTokenIsNeeded() async throws {
        try await withEmulator { emulator throws in
            #expect(try exchange(emulator, Requests.get("/api/v1/version"))?.status == 200)
            #expect(try exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [1])))?.status == 200)
            #expect(emulator.tokenStats().bearerRejections == 0)
        }
    }

    @Test func requireBearerRefusesMissingUnknownAndExpiredTokens() async throws {
        try await withEmulator(.init(requireBearer: true)) { emulator throws in
            let missing = try requireResponse(exchange(emulator, Requests.get("/api/v1/version")))
            #expect(missing.status == 401)
            #expect(missing.json["code"] as? Int == 401)
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: "emu-at-made-up"))?.status == 401)
            // The API key is still checked first.
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: nil, apiKey: nil))?.status == 403)

            let flow = TokenFlow(emulator: emulator)
            let tokens = try flow.obtainTokens()
            let access = try #require(tokens["access_token"] as? String)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: access))?.status == 200)
            let upload = Requests.upload(
                body: MultipartBuilder.valid(data: [7]).bytes, contentType: MultipartBuilder().contentType,
                extraHeaders: ["Authorization: Bearer \(access)"])
            #expect(try exchange(emulator, upload)?.status == 200)
            let unauthorizedUpload = try requireResponse(exchange(emulator, Requests.upload(MultipartBuilder.valid(data: [8]))))
            #expect(unauthorizedUpload.status == 401)
            #expect(emulator.documents().count == 1)

            #expect(emulator.expireAccessTokens() == 1)
            let expired = try requireResponse(exchange(emulator, Requests.get("/api/v1/version", bearer: access)))
            #expect(expired.status == 401)
            #expect(expired.errorMessage.contains("expired"))

            // A refresh recovers.
            let refresh = try #require(tokens["refresh_token"] as? String)
            let fresh = try #require(try flow.refresh(refresh).accessToken)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: fresh))?.status == 200)
            #expect(emulator.tokenStats().bearerRejections == 4)
        }
    }

    @Test func accessTokensExpireWithTheirLifetime() async throws {
        try await withEmulator(.init(requireBearer: true, accessTokenLifetime: .milliseconds(1500))) { emulator throws in
            let clock = ContinuousClock()
            let beforeIssue = clock.now
            let tokens = try TokenFlow(emulator: emulator).obtainTokens()
            #expect(tokens["expires_in"] as? Int == 2)  // whole seconds, rounded up
            let access = try #require(tokens["access_token"] as? String)
            // Waits on the condition, bounded; the lifetime is the only thing that can end it.
            let deadline = clock.now.advanced(by: .seconds(20))
            var status = 200
            while clock.now < deadline {
                status = try requireResponse(exchange(emulator, Requests.get("/api/v1/version", bearer: access))).status
                if status != 200 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == 401)
            #expect(clock.now - beforeIssue >= .milliseconds(1500))  // not before its time
        }
    }

    @Test func requireBearerCanBeSwitchedAtRunTime() async throws {
        try await withEmulator { emulator throws in
            emulator.setRequireBearer(true)
            #expect(try exchange(emulator, Requests.get("/api/v1/version"))?.status == 401)
            let body = #"{"requireBearer": false}"#
            #expect(try exchange(emulator, Requests.post("/_emulator/oauth/settings", json: body))?.status == 200)
            #expect(try exchange(emulator, Requests.get("/api/v1/version"))?.status == 200)
        }
    }

    @Test func loginAnswersUserInfoWithATokenPair() async throws {
        try await withEmulator(.init(requireBearer: true, users: Self.users)) { emulator throws in
            // /login itself needs no bearer token.
            let answer = try login(emulator, user: "bob", password: "p:with:colons")
            #expect(answer.status == 200)
            #expect(answer.json["userName"] as? String == "bob")
            let token = try #require(answer.json["token"] as? [String: Any])
            let access = try #require(token["access_token"] as? String)
            let refresh = try #require(token["refresh_token"] as? String)
            #expect(token["token_type"] as? String == "Bearer")
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: access))?.status == 200)

            // User tokens refresh with client_id api, and rotate like device tokens.
            let flow = TokenFlow(emulator: emulator, clientID: "api")
            let rotated = try flow.refresh(refresh)
            #expect(rotated.status == 200)
            #expect(try flow.refresh(refresh).oauthError == "invalid_grant")
            #expect(emulator.refreshTokenReuseCount == 1)
            #expect(emulator.tokenFamilies().first?.userID == "bob")
            #expect(emulator.tokenStats().logins == 1)
        }
    }

    @Test func loginRefusals() async throws {
        try await withEmulator(.init(users: Self.users)) { emulator throws in
            let wrong = try login(emulator, user: "alice", password: "not-her-password")
            #expect(wrong.status == 401)
            #expect(wrong.json["code"] as? Int == 401)
            #expect(!wrong.text.contains("not-her-password"))
            #expect(try login(emulator, user: "mallory", password: "alice-password-1").status == 401)
            #expect(try login(emulator, user: "alice", password: "alice-password-1", apiKey: nil).status == 403)
            #expect(try login(emulator, user: "alice", password: "alice-password-1", apiKey: "wrong-key").status == 403)

            let cardLogin = try requireResponse(
                exchange(emulator, Requests.form("/api/v1/login", [("authtype", "1"), ("userid", "alice")], apiKey: Requests.apiKey)))
            #expect(cardLogin.status == 400)
            let noPassword = try requireResponse(
                exchange(emulator, Requests.form("/api/v1/login", [("authtype", "0"), ("userid", "alice")], apiKey: Requests.apiKey)))
            #expect(noPassword.status == 400)
            let json = try requireResponse(exchange(emulator, Requests.formRaw(
                "/api/v1/login", body: #"{"userid":"alice"}"#, apiKey: Requests.apiKey, contentType: "application/json")))
            #expect(json.status == 400)
            #expect(try exchange(emulator, Requests.get("/api/v1/login"))?.status == 405)
            #expect(emulator.tokenStats().failedLogins == 2)
            #expect(emulator.issuedTokenCount == 0)
        }
    }

    @Test func loginCanRequireADeviceToken() async throws {
        try await withEmulator(.init(loginRequiresBearer: true, users: Self.users)) { emulator throws in
            #expect(try login(emulator, user: "alice", password: "alice-password-1").status == 401)
            let device = try #require(try TokenFlow(emulator: emulator).obtainTokens()["access_token"] as? String)
            let answer = try requireResponse(exchange(emulator, Requests.form(
                "/api/v1/login", [("authtype", "0"), ("userid", "alice"), ("password", "alice-password-1")],
                apiKey: Requests.apiKey, bearer: device)))
            #expect(answer.status == 200)
        }
    }
}
