import EmulatorKit
import Foundation
import Testing

@Suite("Token service: registration, device code, refresh rotation")
struct DeviceTokenTests {
    @Test func registerThenPendingThenTokens() async throws {
        try await withEmulator(.init(accessTokenLifetime: .seconds(90), pendingAuthorizations: 2)) { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let registered = try flow.register()
            #expect(registered.status == 200)
            let code = try #require(registered.json["device_code"] as? String)
            #expect((registered.json["state"] as? String)?.isEmpty == false)
            #expect(registered.json["expires_in"] as? Int == 259_200)

            for _ in 0..<2 {
                let pending = try flow.poll(deviceCode: code)
                #expect(pending.status == 400)
                #expect(pending.oauthError == "authorization_pending")
                #expect((pending.json["error_description"] as? String)?.isEmpty == false)
            }
            let granted = try flow.poll(deviceCode: code)
            #expect(granted.status == 200)
            #expect(granted.json["token_type"] as? String == "Bearer")
            #expect(granted.json["expires_in"] as? Int == 90)
            #expect(granted.header("Cache-Control") == "no-store")
            let access = try #require(granted.accessToken)
            let refresh = try #require(granted.refreshToken)
            #expect(access != refresh)

            // A device code is single-use.
            let again = try flow.poll(deviceCode: code)
            #expect(again.status == 400)
            #expect(again.oauthError == "invalid_grant")

            let stats = emulator.tokenStats()
            #expect(stats.registrations == 1)
            #expect(stats.pendingAnswers == 2)
            #expect(stats.issuedTokenPairs == 1)
            #expect(emulator.issuedTokenCount == 1)
            #expect(emulator.tokenFamilies().map(\.clientID) == [flow.clientID])
        }
    }

    @Test func manualApprovalHoldsUntilApproved() async throws {
        try await withEmulator(.init(manualApproval: true)) { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let other = TokenFlow(emulator: emulator, clientID: "device-other")
            let code = try #require(try flow.register().json["device_code"] as? String)
            let otherCode = try #require(try other.register().json["device_code"] as? String)
            for _ in 0..<3 { #expect(try flow.poll(deviceCode: code).oauthError == "authorization_pending") }

            #expect(emulator.approveDevices(clientID: flow.clientID) == 1)
            #expect(try flow.poll(deviceCode: code).status == 200)
            #expect(try other.poll(deviceCode: otherCode).oauthError == "authorization_pending")

            // The same over the control endpoint.
            let approved = try requireResponse(
                exchange(emulator, Requests.post("/_emulator/oauth/approve", json: #"{"clientID": "device-other"}"#)))
            #expect(approved.json["approved"] as? Int == 1)
            #expect(try other.poll(deviceCode: otherCode).status == 200)
        }
    }

    @Test func refreshRotatesAndSpendsTheOldToken() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let first = try flow.obtainTokens()
            var refresh = try #require(first["refresh_token"] as? String)
            var seen: Set<String> = [refresh, try #require(first["access_token"] as? String)]
            for _ in 0..<3 {
                let rotated = try flow.refresh(refresh)
                #expect(rotated.status == 200)
                #expect(rotated.json["token_type"] as? String == "Bearer")
                let newAccess = try #require(rotated.accessToken)
                let newRefresh = try #require(rotated.refreshToken)
                #expect(!seen.contains(newAccess) && !seen.contains(newRefresh))
                seen.formUnion([newAccess, newRefresh])
                refresh = newRefresh
            }
            let stats = emulator.tokenStats()
            #expect(stats.refreshes == 3)
            #expect(stats.issuedTokenPairs == 4)
            #expect(stats.refreshTokenReuses == 0)
            #expect(stats.revokedFamilies == 0)
            #expect(emulator.tokenFamilies().first?.issuedPairs == 4)
        }
    }

    @Test func reusingASpentRefreshTokenRevokesTheWholeFamily() async throws {
        try await withEmulator(.init(requireBearer: true)) { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let bystander = TokenFlow(emulator: emulator, clientID: "device-bystander")
            let first = try flow.obtainTokens()
            let spent = try #require(first["refresh_token"] as? String)
            let second = try flow.refresh(spent)
            let liveAccess = try #require(second.accessToken)
            let liveRefresh = try #require(second.refreshToken)
            let bystanderTokens = try bystander.obtainTokens()
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: liveAccess))?.status == 200)
            #expect(emulator.refreshTokenReuseCount == 0)

            let reused = try flow.refresh(spent)
            #expect(reused.status == 400)
            #expect(reused.oauthError == "invalid_grant")
            #expect(emulator.refreshTokenReuseCount == 1)
            #expect(emulator.tokenStats().revokedFamilies == 1)
            let family = try #require(emulator.tokenFamilies().first { $0.clientID == flow.clientID })
            #expect(family.isRevoked)

            // Every token of the family is dead: the newest refresh token and the access tokens too.
            let afterRevocation = try flow.refresh(liveRefresh)
            #expect(afterRevocation.oauthError == "invalid_grant")
            let call = try requireResponse(exchange(emulator, Requests.get("/api/v1/version", bearer: liveAccess)))
            #expect(call.status == 401)
            #expect(call.header("WWW-Authenticate")?.contains("invalid_token") == true)
            // liveRefresh was never spent: presenting it is no reuse.
            #expect(emulator.refreshTokenReuseCount == 1)

            // Another device's family is untouched.
            let bystanderAccess = try #require(bystanderTokens["access_token"] as? String)
            #expect(try exchange(emulator, Requests.get("/api/v1/version", bearer: bystanderAccess))?.status == 200)
            let bystanderRefresh = try #require(bystanderTokens["refresh_token"] as? String)
            #expect(try bystander.refresh(bystanderRefresh).status == 200)
        }
    }

    @Test func refreshTokenIsBoundToItsClient() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let refresh = try #require(try flow.obtainTokens()["refresh_token"] as? String)
            let foreign = try flow.refresh(refresh, clientID: "someone-else")
            #expect(foreign.oauthError == "invalid_grant")
            #expect(try flow.refresh("emu-rt-never-issued").oauthError == "invalid_grant")
            // Refused requests spent nothing.
            #expect(try flow.refresh(refresh).status == 200)
            #expect(emulator.refreshTokenReuseCount == 0)
        }
    }

    @Test func revokedOnDemandGivesInvalidGrant() async throws {
        try await withEmulator { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let refresh = try #require(try flow.obtainTokens()["refresh_token"] as? String)
            #expect(emulator.revokeTokens(clientID: flow.clientID) == 1)
            #expect(emulator.revokeTokens(clientID: flow.clientID) == 0)
            let refused = try flow.refresh(refresh)
            #expect(refused.status == 400)
            #expect(refused.oauthError == "invalid_grant")
            #expect(emulator.refreshTokenReuseCount == 0)
            #expect(emulator.tokenStats().invalidGrants == 1)
        }
    }

    @Test func expiredDeviceCodeIsExpiredToken() async throws {
        try await withEmulator(.init(deviceCodeLifetime: .zero)) { emulator throws in
            let flow = TokenFlow(emulator: emulator)
            let code = try #require(try flow.register().json["device_code"] as? String)
            let answer = try flow.poll(deviceCode: code)
            #expect(answer.status == 400)
            #expect(answer.oauthError == "expired_token")
        }
    }
}
