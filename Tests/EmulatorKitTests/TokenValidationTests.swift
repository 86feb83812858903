import EmulatorKit
import Foundation
import Testing

/// The token service refuses what a strict server refuses, with OAuth error JSON.
@Suite("Token service validation")
struct TokenValidationTests {
    static let registerFields = [
        ("client_id", "device-1"), ("client_secret", Requests.apiKey), ("client_type", "server"),
        ("response_type", "device_code"),
    ]

    private func register(_ emulator: CloudEmulator, _ fields: [(String, String)]) throws -> RawHTTPResponse {
        try requireResponse(exchange(emulator, Requests.form("/oauth/v1/register", fields)))
    }

    private func replacing(_ name: String, with value: String?) -> [(String, String)] {
        var fields = Self.registerFields.filter { $0.0 != name }
        if let value { fields.append((name, value)) }
        return fields
    }

    @Test func registrationFieldsAreChecked() async throws {
        try await withEmulator { emulator throws in
            let cases: [(fields: [(String, String)], status: Int, error: String)] = [
                (replacing("client_id", with: nil), 400, "invalid_request"),
                (replacing("client_id", with: ""), 400, "invalid_request"),
                (replacing("client_secret", with: nil), 401, "invalid_client"),
                (replacing("client_secret", with: "wrong-key"), 401, "invalid_client"),
                (replacing("client_type", with: "public"), 400, "invalid_request"),
                (replacing("client_type", with: nil), 400, "invalid_request"),
                (replacing("response_type", with: "code"), 400, "unsupported_response_type"),
                (replacing("response_type", with: nil), 400, "invalid_request"),
                (Self.registerFields + [("scope", "all")], 400, "invalid_request"),
                (Self.registerFields + [("client_description", String(repeating: "x", count: 256))], 400, "invalid_request"),
            ]
            for (fields, status, error) in cases {
                let answer = try register(emulator, fields)
                #expect(answer.status == status, "\(fields.map(\.0))")
                #expect(answer.oauthError == error, "\(fields.map(\.0)): \(answer.text)")
                #expect((answer.json["error_description"] as? String)?.isEmpty == false)
                #expect(!answer.text.contains("wrong-key"))
            }
            #expect(emulator.tokenStats().registrations == 0)
            #expect(try register(emulator, Self.registerFields).status == 200)
        }
    }

    @Test func malformedFormsAndWrongRequests() async throws {
        try await withEmulator { emulator throws in
            let good = Requests.encode(Self.registerFields)
            let bodies = [good + "&client_id=again", good + "&bad%zzescape=1", good + "&novalue", good + "&&x=1", "%FF%FE=1"]
            for body in bodies {
                let answer = try requireResponse(exchange(emulator, Requests.formRaw("/oauth/v1/register", body: body)))
                #expect(answer.status == 400, "\(body)")
                #expect(answer.oauthError == "invalid_request", "\(body): \(answer.text)")
            }
            let json = try requireResponse(exchange(emulator, Requests.formRaw(
                "/oauth/v1/register", body: #"{"client_id":"x"}"#, contentType: "application/json")))
            #expect(json.oauthError == "invalid_request")
            let untyped = try requireResponse(exchange(emulator, Requests.formRaw("/oauth/v1/token", body: good, contentType: nil)))
            #expect(untyped.oauthError == "invalid_request")
            // A charset parameter is fine.
            let withCharset = try requireResponse(exchange(emulator, Requests.formRaw(
                "/oauth/v1/register", body: good, contentType: "application/x-www-form-urlencoded; charset=UTF-8")))
            #expect(withCharset.status == 200)

            #expect(try exchange(emulator, Requests.get("/oauth/v1/token", apiKey: nil))?.status == 405)
            #expect(try exchange(emulator, Requests.form("/oauth/v1/authorize", Self.registerFields))?.status == 404)
        }
    }

    @Test func tokenRequestFieldsAreChecked() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator, clientID: "device-1")
            let code = try #require(try flow.register().json["device_code"] as? String)
            let base = [("client_id", "device-1"), ("client_secret", Requests.apiKey)]
            let cases: [(fields: [(String, String)], status: Int, error: String)] = [
                (base, 400, "invalid_request"),
                (base + [("grant_type", "password")], 400, "unsupported_grant_type"),
                (base + [("grant_type", "device_code")], 400, "invalid_request"),
                (base + [("grant_type", "refresh_token")], 400, "invalid_request"),
                (base + [("grant_type", "device_code"), ("device_code", "emu-dc-unknown")], 400, "invalid_grant"),
                (base + [("grant_type", "device_code"), ("device_code", code), ("refresh_token", "x")], 400, "invalid_request"),
                ([("client_id", "device-2"), ("client_secret", Requests.apiKey), ("grant_type", "device_code"), ("device_code", code)],
                 400, "invalid_grant"),
                ([("client_id", "device-1"), ("client_secret", "wrong-key"), ("grant_type", "device_code"), ("device_code", code)],
                 401, "invalid_client"),
                ([("client_secret", Requests.apiKey), ("grant_type", "device_code"), ("device_code", code)], 400, "invalid_request"),
            ]
            for (fields, status, error) in cases {
                let answer = try requireResponse(exchange(emulator, Requests.form("/oauth/v1/token", fields)))
                #expect(answer.status == status, "\(fields.map(\.0))")
                #expect(answer.oauthError == error, "\(fields.map(\.0)): \(answer.text)")
            }
            // None of that used the code up.
            #expect(try flow.poll(deviceCode: code).status == 200)
        }
    }

    @Test func tokenControlEndpointsOverHTTP() async throws {
        try await withEmulator(.init(requireBearer: true)) { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let tokens = try flow.obtainTokens()
            let access = try #require(tokens["access_token"] as? String)

            let expired = try requireResponse(exchange(emulator, Requests.post("/_emulator/oauth/expire", json: "")))
            #expect(expired.json["expired"] as? Int == 1)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: access))?.status == 401)

            let revoked = try requireResponse(exchange(emulator, Requests.post("/_emulator/oauth/revoke", json: "")))
            #expect(revoked.json["revoked"] as? Int == 1)
            let refresh = try #require(tokens["refresh_token"] as? String)
            #expect(try flow.refresh(refresh).oauthError == "invalid_grant")

            let overview = try requireResponse(exchange(emulator, Requests.get("/_emulator/oauth", apiKey: nil)))
            #expect(overview.status == 200)
            let stats = try #require(overview.json["stats"] as? [String: Any])
            #expect(stats["registrations"] as? Int == 1)
            #expect(stats["revokedFamilies"] as? Int == 1)
            #expect(stats["refreshTokenReuses"] as? Int == 0)
            let families = try #require(overview.json["families"] as? [[String: Any]])
            #expect(families.first?["clientID"] as? String == flow.clientID)
            #expect(!overview.text.contains(access))  // counters, never tokens

            let bad = try requireResponse(exchange(emulator, Requests.post("/_emulator/oauth/settings", json: #"{"pendingAuthorizations": -1}"#)))
            #expect(bad.status == 400)
            let pending = try requireResponse(exchange(emulator, Requests.post("/_emulator/oauth/settings", json: #"{"pendingAuthorizations": 1}"#)))
            #expect(pending.status == 200)
            let code = try #require(try flow.register().json["device_code"] as? String)
            #expect(try flow.poll(deviceCode: code).oauthError == "authorization_pending")
            #expect(try flow.poll(deviceCode: code).status == 200)

            // reset() forgets documents, not tokens: a running client keeps its session.
            #expect(try exchange(emulator, Requests.post("/_emulator/reset", json: ""))?.status == 200)
            #expect(emulator.tokenStats().registrations == 2)
        }
    }
}
